import assert from "node:assert/strict";
import { Command } from "commander";
import { CliContext } from "./context.ts";
import type { CliIo } from "./io.ts";
import { registerProviders } from "./providers_command.ts";

const TOML = `
[server]
public_url = "https://securix.corp.example"
base_domain = "securix.corp.example"

[vault]
master_key = "env:TEST_MASTER_KEY"

[providers.gmail]
client_id = "cid.apps.googleusercontent.com"
client_secret = "env:GOOGLE_CLIENT_SECRET"
scopes = ["https://www.googleapis.com/auth/gmail.readonly"]

[providers.dropbox]
client_id = "db"
client_secret = "literal-DROPBOX-secret"

[providers.slack]
enabled = false

[providers.corp]
kind = "oidc"
display_name = "Corp SSO"
issuer = "https://idp.corp.example/realms/main"
client_id = "securix"
client_secret = "file:corp.secret"
api_base_url = "https://api.corp.example"

[providers.freedcamp]
strategy = "header"
api_base_url = "https://freedcamp.com/api/v1"
header_name = "X-Freedcamp-Key"
credential_field = "user_key"
credential_schema = { type = "object", required = ["user_key"], properties = { user_key = { type = "string", title = "API key", format = "password" } } }
test_request = { method = "GET", path = "/me", expect_status = 200 }
`;

/** Runs `securix --config <file> providers list …` in-process and captures its output. */
async function runList(args: string[]): Promise<{ out: string; err: string }> {
  const dir = await Deno.makeTempDir({ prefix: "securix-providers-" });
  try {
    await Deno.writeTextFile(`${dir}/securix.toml`, TOML);
    await Deno.writeTextFile(`${dir}/corp.secret`, "file-CORP-secret\n");
    const out: string[] = [];
    const err: string[] = [];
    const env: Record<string, string> = {
      TEST_MASTER_KEY: "ef".repeat(32),
      GOOGLE_CLIENT_SECRET: "env-GOOGLE-secret",
    };
    const io: CliIo = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: (n) => env[n],
      cwd: () => dir,
    };
    const program = new Command("securix").option("-c, --config <path>").exitOverride();
    registerProviders(program, new CliContext(io, program));
    await program.parseAsync(["--config", `${dir}/securix.toml`, "providers", "list", ...args], {
      from: "user",
    });
    return { out: out.join("\n"), err: err.join("\n") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("providers list --json: hosts, scopes, callback URL, no secrets", async () => {
  const { out } = await runList(["--json"]);
  for (const secret of ["env-GOOGLE-secret", "literal-DROPBOX-secret", "file-CORP-secret"]) {
    assert.ok(!out.includes(secret), `${secret} printed`);
  }
  const listed = JSON.parse(out);
  assert.equal(listed.callbackUrl, "https://securix.corp.example/oauth/callback");
  const byName = Object.fromEntries(
    listed.providers.map((p: { name: string }) => [p.name, p]),
  );
  assert.deepEqual(byName.gmail, {
    name: "gmail",
    displayName: "Gmail",
    kind: "catalog",
    configured: true,
    enabled: true,
    proxyHosts: ["gmail.api.securix.corp.example"],
    scopes: ["https://www.googleapis.com/auth/gmail.readonly"],
  });
  assert.deepEqual(byName.dropbox.proxyHosts, [
    "dropbox.api.securix.corp.example",
    "dropbox-content.api.securix.corp.example",
  ]);
  assert.equal(byName.slack.enabled, false);
  assert.equal(byName.slack.configured, true);
  assert.deepEqual(
    [byName.corp.kind, byName.corp.displayName, byName.corp.proxyHosts],
    ["oidc", "Corp SSO", ["corp.api.securix.corp.example"]],
  );
  assert.equal(byName.github.configured, false, "catalog providers not configured are listed");
  assert.deepEqual(
    listed.providers.slice(0, 4).map((p: { name: string }) => p.name),
    ["gmail", "dropbox", "slack", "corp"],
    "configured first, in config order",
  );
});

Deno.test("providers list: a table with the callback URL to register", async () => {
  const { out } = await runList([]);
  const lines = out.split("\n");
  assert.equal(
    lines[0],
    "OAuth callback URL to register at each provider: https://securix.corp.example/oauth/callback",
  );
  assert.match(lines[2], /^NAME\s+DISPLAY_NAME\s+KIND\s+STATUS\s+PROXY_HOSTS\s+SCOPES$/);
  assert.match(
    out,
    /^gmail\s+Gmail\s+catalog\s+enabled\s+gmail\.api\.securix\.corp\.example\s+https:\/\/www\.googleapis\.com\/auth\/gmail\.readonly$/m,
  );
  assert.match(out, /^slack\s+Slack\s+catalog\s+disabled\s+/m);
  assert.match(
    out,
    /^corp\s+Corp SSO\s+oidc\s+enabled\s+corp\.api\.securix\.corp\.example\s+\(any\)$/m,
  );
  assert.match(out, /^linear\s+Linear\s+catalog\s+not configured\s+/m);
  assert.ok(!out.includes("secret\n") && !out.includes("literal-DROPBOX-secret"));
});

const CORP_OPERATIONS = `
[[providers.corp.operations]]
method = "POST"
path = "/v1/mail/{id}/send"
id = "corp.mail.send"
class = "send"

[[providers.corp.operations]]
method = "get"
path = "/v1/mail"
id = "corp.mail.list"
class = "read"
`;

/** Runs `securix providers …` with CORP_OPERATIONS appended to the config. */
async function runProviders(args: string[]): Promise<{ out: string; err: string }> {
  const dir = await Deno.makeTempDir({ prefix: "securix-providers-" });
  try {
    await Deno.writeTextFile(`${dir}/securix.toml`, TOML + CORP_OPERATIONS);
    await Deno.writeTextFile(`${dir}/corp.secret`, "file-CORP-secret\n");
    const out: string[] = [];
    const err: string[] = [];
    const env: Record<string, string> = {
      TEST_MASTER_KEY: "ef".repeat(32),
      GOOGLE_CLIENT_SECRET: "env-GOOGLE-secret",
    };
    const io: CliIo = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: (n) => env[n],
      cwd: () => dir,
    };
    const program = new Command("securix").option("-c, --config <path>").exitOverride();
    registerProviders(program, new CliContext(io, program));
    await program.parseAsync(["--config", `${dir}/securix.toml`, "providers", ...args], {
      from: "user",
    });
    return { out: out.join("\n"), err: err.join("\n") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("providers operations gmail: an aligned table with the fallback explained", async () => {
  const { out } = await runProviders(["operations", "gmail"]);
  const lines = out.split("\n");
  assert.match(lines[0], /^METHOD\s+PATH\s+ID\s+CLASS\s+MULTIPLEXED$/);
  assert.match(
    out,
    /^POST\s+\/gmail\/v1\/users\/\{userId\}\/messages\/send\s+gmail\.users\.messages\.send\s+send$/m,
  );
  assert.match(
    out,
    /^POST\s+\/upload\/gmail\/v1\/users\/\{userId\}\/messages\/send\s+gmail\.users\.messages\.send\s+send$/m,
  );
  assert.match(out, /^POST\s+\/batch\s+gmail\.batch\s+send\s+yes$/m);
  const idColumn = lines[0].indexOf("ID");
  for (const line of lines.slice(1).filter((l) => l.startsWith("GET "))) {
    assert.match(line.slice(idColumn), /^gmail\./, `aligned: ${line}`);
  }
  assert.match(out, /Calls matching no entry: gmail\.unknown, classed by method/);
});

Deno.test("providers operations --json: catalog and custom providers", async () => {
  const slack = JSON.parse((await runProviders(["operations", "slack", "--json"])).out);
  assert.equal(slack.provider, "slack");
  assert.ok(
    slack.operations.some((o: { id: string; class: string }) =>
      o.id === "slack.chat.postMessage" && o.class === "send"
    ),
  );
  assert.equal(slack.unmatched.id, "slack.unknown");
  const corp = JSON.parse((await runProviders(["operations", "corp", "--json"])).out);
  assert.deepEqual(corp.operations, [
    { method: "POST", path: "/v1/mail/{id}/send", id: "corp.mail.send", class: "send" },
    { method: "GET", path: "/v1/mail", id: "corp.mail.list", class: "read" },
  ]);
});

Deno.test("providers operations: an unknown name says which providers exist", async () => {
  await assert.rejects(
    () => runProviders(["operations", "gmial"]),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "SX-UNKNOWN-PROVIDER");
      assert.match(
        error.message,
        /Unknown provider "gmial"; the catalog has gmail, drive, calendar/,
      );
      assert.match(error.message, /securix\.toml adds corp/);
      return true;
    },
  );
});

Deno.test("providers list: a credential-form provider is listed with its kind, no OAuth needed", async () => {
  const { out } = await runList([]);
  assert.match(
    out,
    /^freedcamp\s+freedcamp\s+form\s+enabled\s+freedcamp\.api\.securix\.corp\.example\s+\(any\)$/m,
  );
});
