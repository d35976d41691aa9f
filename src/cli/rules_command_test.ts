import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { runCli } from "./main.ts";

const HEAD = `
[server]
public_url = "https://securix.corp.example"
base_domain = "securix.corp.example"

[vault]
master_key = "env:TEST_MASTER_KEY"

[database]
url = "file:data/securix.db"

[providers.gmail]
client_id = "cid.apps.googleusercontent.com"
client_secret = "env:GOOGLE_CLIENT_SECRET"

[providers.drive]
client_id = "cid.apps.googleusercontent.com"
client_secret = "env:GOOGLE_CLIENT_SECRET"

[providers.github]
client_id = "gh"
client_secret = "literal-GITHUB-secret"
`;

const RULES = `
[[rules]]
name = "gmail_draft_only"
target = "gmail.users.messages.send"
apps = ["demo"]
agents = ["mail-agent"]
effect = "deny"
llm_error = "I can only create drafts. I saved a draft for you to review in Gmail."

[[rules]]
name = "read_only_github"
target = "github.*"
classes = ["write", "send", "delete"]
effect = "deny"

[[rules]]
name = "redact_pii"
target = "google.*"
effect = "redact"
patterns = ["ssn", "credit_card"]

[[rules]]
name = "hide_hr"
target = "gmail.*"
effect = "hide"
labels = ["HR"]

[[rules]]
name = "no_external_mail"
target = "gmail.users.messages.send"
effect = "deny"
condition = { recipient_domain_not_in = ["acme.com"] }

[scopes.file_deletes]
operations = ["drive.files.delete"]
enabled = false
description = "Agents never delete Drive files"
`;

const ENV = { TEST_MASTER_KEY: "ef".repeat(32), GOOGLE_CLIENT_SECRET: "env-GOOGLE-secret" };

interface Run {
  code: number;
  out: string;
  err: string;
}

/** A temp directory with securix.toml (HEAD + `rules`), removed after `fn`. */
async function withConfig<T>(
  rules: string,
  fn: (dir: string, run: (args: string[]) => Promise<Run>) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "securix-rules-" });
  try {
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/securix.toml`, HEAD + rules);
    const run = async (args: string[]): Promise<Run> => {
      const { io, out, err } = captureIo(ENV);
      const code = await runCli(["--config", `${dir}/securix.toml`, "rules", ...args], io);
      return { code, out: out.join("\n"), err: err.join("\n") };
    };
    return await fn(dir, run);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SEND_URL = "https://gmail.api.securix.corp.example/gmail/v1/users/me/messages/send";
const CALLER = ["--app", "other", "--agent", "agent-1", "--entity", "user-1"];

/** A raw RFC 822 message as Gmail's `users.messages.send` takes it: `{raw}` in base64url. */
function gmailRaw(headers: string): string {
  const message =
    `${headers}\r\nSubject: Numbers\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n`;
  return JSON.stringify({ raw: encodeBase64urlNoPadding(new TextEncoder().encode(message)) });
}

Deno.test("rules list: table of rules with source, scope, target, classes, effect; scopes; hash", async () => {
  await withConfig(RULES, async (_dir, run) => {
    const { code, out } = await run(["list"]);
    assert.equal(code, 0);
    const lines = out.split("\n");
    assert.match(lines[0], /^NAME\s+SOURCE\s+SCOPE\s+TARGET\s+CLASSES\s+EFFECT\s+ENABLED$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? "";
    assert.match(
      row("gmail_draft_only"),
      /securix\.toml, file order 1\s+apps=demo agents=mail-agent\s+gmail\.users\.messages\.send\s+\(any\)\s+deny\s+yes$/,
    );
    assert.match(
      row("read_only_github"),
      /file order 2\s+all\s+github\.\*\s+write,send,delete\s+deny/,
    );
    assert.match(row("redact_pii"), /redact \(ssn, credit_card\)/);
    assert.match(row("hide_hr"), /hide \(label HR\)/);
    assert.match(row("no_external_mail"), /deny if recipient_domain_not_in/);
    assert.match(
      out,
      /file_deletes\s+drive\.files\.delete\s+no \(SX-SCOPE-DISABLED\)\s+Agents never/,
    );
    assert.match(out, /Rule set hash: [0-9a-f]{64}$/);
  });
});

Deno.test("rules list --json: rules in file order with defaults, scopes, hash; empty says how to add", async () => {
  const hash = await withConfig(RULES, async (_dir, run) => {
    const listed = JSON.parse((await run(["list", "--json"])).out);
    assert.deepEqual(listed.rules.map((r: { order: number; name: string }) => [r.order, r.name]), [
      [1, "gmail_draft_only"],
      [2, "read_only_github"],
      [3, "redact_pii"],
      [4, "hide_hr"],
      [5, "no_external_mail"],
    ]);
    assert.equal(listed.rules[1].enabled, true, "defaults applied");
    assert.deepEqual(listed.rules[4].condition, { recipient_domain_not_in: ["acme.com"] });
    assert.equal(listed.scopes.file_deletes.enabled, false);
    assert.match(listed.hash, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(listed).includes("secret"), "no provider secrets");
    return listed.hash;
  });
  // The hash follows the rules: another rule set, another hash.
  await withConfig(RULES.replace('labels = ["HR"]', 'labels = ["Legal"]'), async (_dir, run) => {
    assert.notEqual(JSON.parse((await run(["list", "--json"])).out).hash, hash);
  });
  await withConfig("", async (_dir, run) => {
    const { code, out } = await run(["list"]);
    assert.equal(code, 0);
    assert.match(out, /^No rules: every call is forwarded/);
    assert.match(out, /\[\[rules\]\]\n\s+name = "read_only_github"/);
  });
});

Deno.test("rules lint: a clean set exits 0, an unknown operation target exits 1 with the finding", async () => {
  await withConfig(RULES, async (_dir, run) => {
    const { code, out } = await run(["lint"]);
    assert.equal(code, 0, out);
    assert.equal(out, "No problems found (5 rules)");
  });
  const broken = RULES + `
[[rules]]
name = "typo"
target = "gmail.users.messages.sned"
effect = "deny"

[[rules]]
name = "off"
target = "drive.*"
effect = "deny"
enabled = false
`;
  await withConfig(broken, async (_dir, run) => {
    const { code, out } = await run(["lint"]);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /error\s+typo\s+target "gmail\.users\.messages\.sned" matches no known operation; the rule never applies/,
    );
    assert.match(out, /warning\s+off\s+enabled = false/);
    assert.match(out, /1 error, 1 warning in 7 rules$/);
    const json = await run(["lint", "--json"]);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.out);
    assert.equal(report.errors, 1);
    assert.deepEqual(report.findings[0], {
      level: "error",
      rule: "typo",
      message:
        'target "gmail.users.messages.sned" matches no known operation; the rule never applies',
    });
  });
  // Warnings alone do not fail a script.
  await withConfig(
    RULES + '[[rules]]\nname = "off"\ntarget = "drive.*"\neffect = "deny"\nenabled = false\n',
    async (_dir, run) => {
      assert.equal((await run(["lint"])).code, 0);
    },
  );
});

Deno.test("rules lint: custom providers' declared operations are known, under their own name", async () => {
  const custom = `
[providers.corp]
kind = "oauth2"
client_id = "c"
client_secret = "s"
api_base_url = "https://api.corp.example"
authorization_url = "https://idp.corp.example/authorize"
token_url = "https://idp.corp.example/token"

[[providers.corp.operations]]
method = "POST"
path = "/v1/tickets"
id = "corp.tickets.create"
class = "write"

[[rules]]
name = "no_tickets"
target = "corp.tickets.create"
effect = "deny"

[[rules]]
name = "no_close"
target = "corp.tickets.close"
effect = "deny"
`;
  await withConfig(custom, async (_dir, run) => {
    const report = JSON.parse((await run(["lint", "--json"])).out);
    assert.deepEqual(report.findings.map((f: { rule: string }) => f.rule), ["no_close"]);
  });
});

Deno.test("rules test: deny by rule (exit 3) with the rule's llm_error; other callers are not denied", async () => {
  await withConfig(RULES, async (_dir, run) => {
    const denied = await run([
      "test",
      "--app",
      "demo",
      "--agent",
      "mail-agent",
      "--entity",
      "user-1",
      "--method",
      "POST",
      "--url",
      SEND_URL,
    ]);
    assert.equal(denied.code, 3, denied.out + denied.err);
    assert.match(denied.out, /^provider\s+gmail$/m);
    assert.match(denied.out, /^operation\s+gmail\.users\.messages\.send$/m);
    assert.match(denied.out, /^class\s+send$/m);
    assert.match(denied.out, /^multiplexed\s+no$/m);
    assert.match(
      denied.out,
      /^matched rules\s+gmail_draft_only, redact_pii, hide_hr, no_external_mail$/m,
    );
    assert.match(
      denied.out,
      /^decision\s+denied by gmail_draft_only \(SX-POLICY-DENIED\): I can only create drafts\. I saved a draft/m,
    );
    // Read-only GitHub through the /proxy/<name>/ form: a delete is refused, a read is not.
    const del = await run([
      "test",
      ...CALLER,
      "--method",
      "DELETE",
      "--url",
      "https://securix.corp.example/proxy/github/repos/acme/site",
    ]);
    assert.equal(del.code, 3);
    assert.match(del.out, /^operation\s+github\.repos\.delete$/m);
    assert.match(del.out, /^decision\s+denied by read_only_github \(SX-POLICY-DENIED\)/m);
    const read = await run([
      "test",
      ...CALLER,
      "--url",
      "https://api.github.com/repos/acme/site",
      "--provider",
      "github",
    ]);
    assert.equal(read.code, 0, read.out);
    assert.match(read.out, /^operation\s+github\.repos\.get$/m);
    assert.match(read.out, /^matched rules\s+none$/m);
    assert.match(read.out, /^decision\s+allowed$/m);
  });
});

Deno.test("rules test: a disabled scope answers SX-SCOPE-DISABLED (exit 3)", async () => {
  await withConfig(RULES, async (_dir, run) => {
    const r = await run([
      "test",
      ...CALLER,
      "--method",
      "DELETE",
      "--url",
      "https://drive.api.securix.corp.example/drive/v3/files/abc123",
      "--json",
    ]);
    assert.equal(r.code, 3);
    const result = JSON.parse(r.out);
    assert.equal(result.operation.id, "drive.files.delete");
    assert.equal(result.decision.kind, "denied");
    assert.equal(result.decision.code, "SX-SCOPE-DISABLED");
    assert.equal(result.decision.scope, "file_deletes");
    assert.equal(result.exitCode, 3);
    const text = await run([
      "test",
      ...CALLER,
      "--method",
      "DELETE",
      "--url",
      "https://drive.api.securix.corp.example/drive/v3/files/abc123",
    ]);
    assert.match(text.out, /^decision\s+scope disabled: file_deletes \(SX-SCOPE-DISABLED\)$/m);
  });
});

Deno.test("rules test: hide narrows the list query; redact names the kinds; allowed (exit 0)", async () => {
  await withConfig(RULES, async (_dir, run) => {
    const r = await run([
      "test",
      ...CALLER,
      "--url",
      "https://gmail.api.securix.corp.example/gmail/v1/users/me/messages?q=from%3Abob&maxResults=5",
    ]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^operation\s+gmail\.users\.messages\.list$/m);
    assert.match(r.out, /^hide\s+hide_hr: label "HR"$/m);
    const narrowed = /^narrowed query\s+(\S+)$/m.exec(r.out)?.[1] ?? "";
    const q = new URLSearchParams(narrowed.slice(1)).get("q") ?? "";
    assert.match(q, /-label:"hr"/i);
    assert.match(q, /from:bob/);
    assert.equal(new URLSearchParams(narrowed.slice(1)).get("maxResults"), "5");
    assert.match(r.out, /single items checked against hidden labels\/folders at call time/);
    assert.match(r.out, /^redact\s+answers redacted: ssn, credit_card \(redact_pii\)$/m);
    assert.match(r.out, /^decision\s+allowed \(hidden items filtered, answers redacted\)$/m);
    // Redaction alone, on Drive (family google).
    const drive = JSON.parse(
      (await run([
        "test",
        ...CALLER,
        "--url",
        "https://drive.api.securix.corp.example/drive/v3/files",
        "--json",
      ])).out,
    );
    assert.deepEqual(drive.redact, { rules: ["redact_pii"], kinds: ["ssn", "credit_card"] });
    assert.equal(drive.hide, null);
    assert.deepEqual(drive.decision, { kind: "allowed" });
    // An operation hide cannot check is refused, as the proxy refuses it.
    const history = await run([
      "test",
      ...CALLER,
      "--url",
      "https://gmail.api.securix.corp.example/gmail/v1/users/me/history",
    ]);
    assert.equal(history.code, 3);
    assert.match(
      history.out,
      /^decision\s+denied by hide_hr \(SX-POLICY-DENIED\): This action cannot be checked/m,
    );
  });
});

Deno.test("rules test: send conditions need the body (exit 4), are checked against --body", async () => {
  await withConfig(RULES, async (dir, run) => {
    const without = await run(["test", ...CALLER, "--method", "POST", "--url", SEND_URL]);
    assert.equal(without.code, 4, without.out);
    assert.match(
      without.out,
      /^condition\s+no_external_mail: needs the body \(--body FILE\) to decide$/m,
    );
    assert.match(
      without.out,
      /^decision\s+depends on the body: no_external_mail checks the message/m,
    );

    await Deno.writeTextFile(
      `${dir}/external.json`,
      gmailRaw("To: Bob <bob@acme.com>\r\nCc: eve@evil.example"),
    );
    const external = await run([
      "test",
      ...CALLER,
      "--method",
      "POST",
      "--url",
      SEND_URL,
      "--body",
      `${dir}/external.json`,
    ]);
    assert.equal(external.code, 3, external.out);
    assert.match(
      external.out,
      /^condition\s+no_external_mail: the body meets its condition, it denies$/m,
    );
    assert.match(external.out, /^decision\s+denied by no_external_mail \(SX-POLICY-DENIED\)/m);

    await Deno.writeTextFile(`${dir}/internal.json`, gmailRaw("To: Bob <bob@acme.com>"));
    const internal = JSON.parse(
      (await run([
        "test",
        ...CALLER,
        "--method",
        "POST",
        "--url",
        SEND_URL,
        "--body",
        `${dir}/internal.json`,
        "--json",
      ])).out,
    );
    assert.deepEqual(internal.conditional, [{ rule: "no_external_mail", outcome: "passes" }]);
    assert.equal(internal.decision.kind, "allowed");
    assert.equal(internal.exitCode, 0);

    // Recipients that cannot be read are denied by caution.
    await Deno.writeTextFile(`${dir}/garbage.json`, '{"raw": 42}');
    const garbage = await run([
      "test",
      ...CALLER,
      "--method",
      "POST",
      "--url",
      SEND_URL,
      "--body",
      `${dir}/garbage.json`,
    ]);
    assert.equal(garbage.code, 3);
  });
});

Deno.test("rules test: a GraphQL operation is read from --body; without it the call is opaque", async () => {
  await withConfig(RULES, async (dir, run) => {
    const url = "https://github.api.securix.corp.example/graphql";
    const opaque = await run(["test", ...CALLER, "--method", "POST", "--url", url]);
    assert.equal(opaque.code, 3, "multiplexed: every rule on GitHub applies");
    assert.match(opaque.out, /^operation\s+github\.graphql$/m);
    assert.match(opaque.out, /pass --body FILE to resolve it from the document/);
    assert.match(opaque.out, /^multiplexed\s+yes/m);
    await Deno.writeTextFile(`${dir}/query.json`, '{"query":"query { viewer { login } }"}');
    const query = await run([
      "test",
      ...CALLER,
      "--method",
      "POST",
      "--url",
      url,
      "--body",
      `${dir}/query.json`,
    ]);
    assert.equal(query.code, 0, query.out);
    assert.match(query.out, /^operation\s+github\.graphql\.query\.viewer$/m);
    assert.match(query.out, /^class\s+read$/m);
    assert.ok(!query.out.includes("--body FILE"));
  });
});

Deno.test("rules test: unknown hosts and providers are user errors", async () => {
  await withConfig(RULES, async (_dir, run) => {
    const foreign = await run([
      "test",
      ...CALLER,
      "--url",
      "https://gmail.googleapis.com/gmail/v1/users/me/messages",
    ]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.err, /SX-RULES-TEST-URL: gmail\.googleapis\.com is not a proxy host/);
    const disabled = await run([
      "test",
      ...CALLER,
      "--url",
      "https://slack.api.securix.corp.example/api/chat.postMessage",
    ]);
    assert.equal(disabled.code, 1);
    assert.match(disabled.err, /SX-UNKNOWN-PROVIDER: No enabled provider serves "slack"/);
    // A path alone is on the appliance: /proxy/<provider>/… picks the provider.
    const path = await run(["test", ...CALLER, "--url", "/proxy/gmail/gmail/v1/users/me/messages"]);
    assert.equal(path.code, 0, path.err);
    assert.match(path.out, /^operation\s+gmail\.users\.messages\.list$/m);
    const protocolRelative = await run(["test", ...CALLER, "--url", "//gmail.googleapis.com/x"]);
    assert.equal(protocolRelative.code, 1);
    assert.match(protocolRelative.err, /SX-RULES-TEST-URL/);
  });
});

/** A child process that writes `marker` when it gets SIGHUP, and says when it listens. */
async function hangupTrap(marker: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.addSignalListener("SIGHUP", () => { Deno.writeTextFileSync(${
        JSON.stringify(marker)
      }, "hup"); Deno.exit(0); });
       console.log("ready");
       setTimeout(() => Deno.exit(1), 20000);`,
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.equal(new TextDecoder().decode(value).trim(), "ready");
  reader.releaseLock();
  return child;
}

Deno.test("rules reload: validates, then sends SIGHUP to the pid in the pid file", async () => {
  await withConfig(RULES, async (dir, run) => {
    const marker = `${dir}/hup`;
    const child = await hangupTrap(marker);
    try {
      await Deno.writeTextFile(`${dir}/data/securix.pid`, `${child.pid}\n`);
      const r = await run(["reload"]);
      assert.equal(r.code, 0, r.err);
      assert.equal(
        r.out,
        `Sent SIGHUP to securix serve (pid ${child.pid}); it logs the reload result`,
      );
      const status = await child.status;
      assert.equal(status.code, 0, "the child exits 0 only from its SIGHUP listener");
      assert.equal(await Deno.readTextFile(marker), "hup");
    } finally {
      try {
        child.kill();
      } catch {
        // Already ended.
      }
      await child.stdout.cancel().catch(() => {});
    }
  });
});

Deno.test("rules reload: broken rules are reported and nothing is signalled (exit 1)", async () => {
  await withConfig(RULES + '[[rules]]\nname = "bad"\neffect = "limit"\n', async (dir, run) => {
    const marker = `${dir}/hup`;
    const child = await hangupTrap(marker);
    try {
      await Deno.writeTextFile(`${dir}/data/securix.pid`, `${child.pid}\n`);
      const r = await run(["reload"]);
      assert.equal(r.code, 1);
      assert.match(r.err, /do not validate \(nothing was sent\)/);
      assert.match(
        r.err,
        /rules\[5\] \(bad\)\.rate: effect = "limit" needs a rate such as "100\/min"/,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await assert.rejects(Deno.stat(marker), Deno.errors.NotFound);
    } finally {
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
  });
});

Deno.test("rules reload: no pid file explains what to do (exit 1); a dead pid too", async () => {
  await withConfig(RULES, async (dir, run) => {
    const r = await run(["reload"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /No running securix serve found for this data directory/);
    assert.match(r.err, /kill -HUP <pid>/);
    assert.match(r.err, /systemctl reload securix/);
    // A process that has ended: its pid cannot be signalled.
    const ended = new Deno.Command(Deno.execPath(), { args: ["--version"], stdout: "null" })
      .spawn();
    await ended.status;
    await Deno.writeTextFile(`${dir}/data/securix.pid`, `${ended.pid}\n`);
    const stale = await run(["reload"]);
    assert.equal(stale.code, 1);
    assert.match(stale.err, /No running securix serve found|not securix serve/);
  });
});

Deno.test("doctor: reports the rules lint as one check", async () => {
  const doctor = async (rules: string) =>
    await withConfig(rules, async (dir) => {
      const { io, out } = captureIo(ENV);
      await runCli(["--config", `${dir}/securix.toml`, "doctor", "--json"], io);
      const report = JSON.parse(out.join("\n"));
      return report.checks.find((c: { name: string }) => c.name === "rules");
    });
  assert.equal(await doctor(""), undefined, "no rules, no line");
  const clean = await doctor(RULES);
  assert.equal(clean.status, "ok");
  assert.equal(clean.detail, "5 rules, 1 scope, no problems");
  const broken = await doctor(
    RULES + '[[rules]]\nname = "typo"\ntarget = "gmial.*"\neffect = "deny"\n',
  );
  assert.equal(broken.status, "fail");
  assert.match(
    broken.detail,
    /^6 rules, 1 scope: 1 error, 0 warnings \(typo: target "gmial\.\*" matches no known operation/,
  );
  assert.match(broken.fix, /securix rules lint/);
});

Deno.test("rules list: a limit rule shows its rate, burst and whose calls count together", async () => {
  const limits = `
[[rules]]
name = "gmail_reads"
target = "gmail.users.messages.list"
effect = "limit"
rate = "10/min"

[[rules]]
name = "github_writes"
target = "github.*"
classes = ["write"]
effect = "limit"
rate = "100/hour"
burst = 5
per = "agent"
`;
  await withConfig(limits, async (_dir, run) => {
    const { code, out } = await run(["list"]);
    assert.equal(code, 0);
    assert.match(out, /gmail_reads .* limit \(10\/min, burst 10, per connection\)\s+yes/);
    assert.match(out, /github_writes .* limit \(100\/hour, burst 5, per agent\)\s+yes/);
    const listed = JSON.parse((await run(["list", "--json"])).out);
    assert.equal(listed.rules[1].rate, "100/hour");
    assert.equal(listed.rules[1].burst, 5);
    assert.equal(listed.rules[1].per, "agent");
  });
});
