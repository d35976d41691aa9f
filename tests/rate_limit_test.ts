/**
 * `limit` rules end to end: unmodified `googleapis` (and plain fetch, to see
 * every header) through the served appliance against the fake Gmail API. The
 * 11th call under 10/min is refused with 429 SX-RATE-LIMIT before any
 * credential is read; other agents keep their own bucket; a provider's own
 * 429 passes through untouched and is counted. Two appliance processes on one
 * database file (this test's runtime and a real `securix serve` with two
 * serving isolates) together admit at most 11 calls of a 10/min rule.
 */
import assert from "node:assert/strict";
import { google } from "googleapis";
import { parse, stringify } from "smol-toml";
import { envelope, type RulesEnv, rulesEnv } from "./helpers/rules_env.ts";
import { type ServerProcess, startServeProcess, untilWorkers } from "./helpers/process.ts";

const LIST = "/gmail/v1/users/me/messages";

const TEN_PER_MINUTE = {
  name: "gmail_reads",
  target: "gmail.users.messages.list",
  effect: "limit",
  rate: "10/min",
  per: "agent",
};

interface SdkError {
  status?: number;
  response?: {
    status?: number;
    headers?: HeadersInit;
    data?: { error?: { code?: string; llmError?: string; details?: Record<string, unknown> } };
  };
}

function gmailFor(env: RulesEnv, agent?: string) {
  const client = google.gmail({ version: "v1", headers: env.headers({ agent }), retry: false });
  return { users: client.users, options: { rootUrl: `${env.proxy("gmail")}/` } };
}

Deno.test("rate limit: 10/min per agent — googleapis gets 10 answers, the 11th is 429 SX-RATE-LIMIT with Retry-After and RateLimit headers; another agent is unaffected", async () => {
  const env = await rulesEnv({ rules: [TEN_PER_MINUTE] });
  try {
    const gmail = gmailFor(env);
    const mark = await env.mark();
    const readsBefore = env.credentialReads();
    for (let i = 1; i <= 10; i++) {
      const res = await gmail.users.messages.list({ userId: "me" }, gmail.options);
      assert.equal(res.status, 200, `call ${i}`);
    }
    const readsAfterTen = env.credentialReads();
    const seenBefore = env.fake.seenBy("gmail").length;
    let refused: SdkError | null = null;
    await gmail.users.messages.list({ userId: "me" }, gmail.options).catch((e) => refused = e);
    assert.ok(refused, "the 11th call is refused");
    const error = refused as SdkError;
    assert.equal(error.response?.status, 429);
    const body = error.response?.data?.error;
    assert.equal(body?.code, "SX-RATE-LIMIT");
    assert.equal(body?.details?.rule, "gmail_reads");
    assert.equal(body?.details?.limit, 10);
    assert.equal(body?.details?.window, 60);
    const retryAfter = body?.details?.retryAfter as number;
    assert.ok(retryAfter >= 1 && retryAfter <= 6, `retryAfter ${retryAfter}`);
    assert.match(
      body?.llmError ?? "",
      new RegExp(`Wait ${retryAfter} seconds? before trying again`),
    );
    const headers = new Headers(error.response?.headers);
    assert.equal(headers.get("retry-after"), String(retryAfter));
    assert.equal(headers.get("ratelimit-policy"), `"gmail_reads";q=10;w=60`);
    assert.equal(headers.get("ratelimit"), `"gmail_reads";r=0;t=${retryAfter}`);
    assert.equal(env.fake.seenBy("gmail").length, seenBefore, "the provider never saw it");
    assert.equal(env.credentialReads(), readsAfterTen, "refused before any credential load");
    assert.ok(readsAfterTen > readsBefore);

    // The same refusal over plain HTTP: the envelope and headers as any client sees them.
    const raw = await fetch(`${env.proxy("gmail")}${LIST}`, { headers: env.headers() });
    assert.equal(raw.status, 429);
    assert.ok(Number(raw.headers.get("retry-after")) >= 1);
    assert.match(raw.headers.get("ratelimit") ?? "", /^"gmail_reads";r=0;t=\d+$/);
    assert.equal((await envelope(raw)).code, "SX-RATE-LIMIT");

    // The app sees the limit that governs it.
    const listed = await fetch(`${env.base}/v1/rules`, {
      headers: { "securix-api-key": env.apiKey() },
    });
    const [rule] = (await listed.json()).rules;
    assert.deepEqual(
      { effect: rule.effect, rate: rule.rate, burst: rule.burst, per: rule.per },
      { effect: "limit", rate: "10/min", burst: 10, per: "agent" },
    );

    // per = "agent": mail-agent of the same app and entity has a bucket of its own.
    const other = gmailFor(env, "mail-agent");
    const res = await other.users.messages.list({ userId: "me" }, other.options);
    assert.equal(res.status, 200);

    const records = await env.audit(mark, "proxy.request");
    const denied = records.filter((r) => r.data.decision === "denied");
    assert.equal(denied.length, 2);
    for (const r of denied) {
      assert.equal(r.data.error, "SX-RATE-LIMIT");
      assert.equal(r.data.status, 429);
      assert.deepEqual(r.data.rules, ["gmail_reads"]);
      assert.equal(r.agentId, "agent-1");
    }
    const allowed = records.filter((r) => r.data.decision === "allowed");
    assert.equal(allowed.length, 11);
    assert.ok(allowed.every((r) => (r.data.rules as string[]).includes("gmail_reads")));
  } finally {
    await env.close();
  }
});

Deno.test("rate limit: every admitted answer carries RateLimit-Policy and a decreasing RateLimit; the 11th is the 429 with the same policy; a call no limit applies to carries neither", async () => {
  const env = await rulesEnv({ rules: [TEN_PER_MINUTE] });
  try {
    const seen: [string | null, string | null][] = [];
    for (let i = 1; i <= 10; i++) {
      const res = await fetch(`${env.proxy("gmail")}${LIST}`, { headers: env.headers() });
      assert.equal(res.status, 200, `call ${i}`);
      await res.body?.cancel();
      seen.push([res.headers.get("ratelimit-policy"), res.headers.get("ratelimit")]);
    }
    const policy = `"gmail_reads";q=10;w=60`;
    assert.deepEqual(
      seen.slice(0, 9),
      [9, 8, 7, 6, 5, 4, 3, 2, 1].map((r) => [policy, `"gmail_reads";r=${r}`]),
    );
    assert.equal(seen[9][0], policy);
    // The last token spent: `t` says when the next one is back (one per 6 s).
    const last = /^"gmail_reads";r=0;t=(\d+)$/.exec(seen[9][1] ?? "");
    assert.ok(last, `10th call: ${seen[9][1]}`);
    assert.ok(Number(last[1]) >= 1 && Number(last[1]) <= 6, `t=${last[1]}`);

    const refused = await fetch(`${env.proxy("gmail")}${LIST}`, { headers: env.headers() });
    assert.equal(refused.status, 429);
    assert.equal((await envelope(refused)).code, "SX-RATE-LIMIT");
    assert.equal(refused.headers.get("ratelimit-policy"), policy);
    assert.match(refused.headers.get("ratelimit") ?? "", /^"gmail_reads";r=0;t=\d+$/);

    // messages.get is not what the rule targets: no quota to report.
    env.fake.intercept = () => Response.json({ id: "m1" });
    const free = await fetch(`${env.proxy("gmail")}${LIST}/m1`, { headers: env.headers() });
    assert.equal(free.status, 200);
    await free.body?.cancel();
    assert.equal(free.headers.get("ratelimit-policy"), null);
    assert.equal(free.headers.get("ratelimit"), null);
  } finally {
    await env.close();
  }
});

Deno.test("rate limit: two limit rules give two policy items and the tighter rule's RateLimit, also on a redacted answer; a provider's RateLimit fields are replaced by ours, its X-RateLimit-* pass", async () => {
  const env = await rulesEnv({
    rules: [
      TEN_PER_MINUTE,
      { name: "gmail_all", target: "gmail.users.messages.*", effect: "limit", rate: "3/hour" },
      // A response filter: the answer's headers take the `Headers` path, not the pairs.
      { name: "redact_ssn", target: "gmail.*", effect: "redact", patterns: ["ssn"] },
    ],
  });
  try {
    env.fake.intercept = () =>
      Response.json({ messages: [], note: "ssn 123-45-6789" }, {
        headers: {
          "RateLimit-Policy": `"provider";q=250;w=1`,
          "RateLimit": `"provider";r=249`,
          "X-RateLimit-Remaining": "249",
        },
      });
    const res = await fetch(`${env.proxy("gmail")}${LIST}`, { headers: env.headers() });
    assert.equal(res.status, 200);
    assert.doesNotMatch(await res.text(), /123-45-6789/, "the redacting path ran");
    assert.equal(
      res.headers.get("ratelimit-policy"),
      `"gmail_reads";q=10;w=60, "gmail_all";q=3;w=3600`,
      "one item per rule, the provider's gone",
    );
    assert.equal(res.headers.get("ratelimit"), `"gmail_all";r=2`, "the tighter rule");
    assert.equal(res.headers.get("x-ratelimit-remaining"), "249");
  } finally {
    await env.close();
  }
});

Deno.test("rate limit: two apps never share a bucket, and a reload that keeps the rule keeps its count", async () => {
  const env = await rulesEnv({
    rules: [{ ...TEN_PER_MINUTE, rate: "2/hour", per: "entity" }],
    apps: [{ name: "demo", agents: ["agent-1"] }, { name: "other", agents: ["agent-1"] }],
  });
  try {
    const call = async (app: string) => {
      const res = await fetch(`${env.proxy("gmail")}${LIST}`, { headers: env.headers({ app }) });
      await res.body?.cancel();
      return res.status;
    };
    assert.deepEqual([await call("demo"), await call("demo"), await call("demo")], [200, 200, 429]);
    assert.deepEqual([await call("other"), await call("other"), await call("other")], [
      200,
      200,
      429,
    ]);
    const reloaded = await env.served.runtime.reloadRules("test");
    assert.ok(reloaded.ok);
    assert.equal(await call("demo"), 429, "the count survived the reload");
  } finally {
    await env.close();
  }
});

Deno.test("rate limit: a provider's own 429 passes through untouched with its Retry-After, and is counted per connection", async () => {
  const env = await rulesEnv();
  try {
    const body = JSON.stringify({
      error: { code: 429, message: "Quota exceeded", status: "RESOURCE_EXHAUSTED" },
    });
    env.fake.intercept = () =>
      new Response(body, {
        status: 429,
        headers: { "retry-after": "17", "content-type": "application/json" },
      });
    const res = await fetch(`${env.proxy("gmail")}${LIST}`, { headers: env.headers() });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "17");
    assert.equal(res.headers.get("ratelimit"), null, "no Securix rate-limit headers added");
    assert.equal(await res.text(), body, "the provider's body as it sent it");
    const metrics = await (await env.served.runtime.metrics.render()).text();
    assert.match(metrics, /^securix_provider_throttled_total\{provider="gmail"\} 1$/m);
    assert.match(
      metrics,
      /^securix_connection_throttled_total\{connection="conn_demo_alice_gmail"\} 1$/m,
    );
  } finally {
    await env.close();
  }
});

Deno.test("rate limit: two appliance processes (one with two serving isolates) on one database together admit at most 11 calls of a 10/min rule", async () => {
  const env = await rulesEnv({ rules: [TEN_PER_MINUTE] });
  let other: ServerProcess | null = null;
  // A fresh connection per call, so the kernel spreads them over the isolates' listeners.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    // The other process runs `[server] workers = 2`: three holders of leases in all.
    const file = parse(await Deno.readTextFile(env.temp.configPath));
    (file.server as Record<string, unknown>).workers = 2;
    await Deno.writeTextFile(env.temp.configPath, stringify(file));
    other = await startServeProcess({ cwd: env.temp.dir, timeoutMs: 60_000 });
    await untilWorkers(other, 2, 30_000);
    const bases = [env.base, other.baseUrl];
    const statuses: number[] = [];
    const started = Date.now();
    // Waves of concurrent calls on both processes, across several share intervals (1 s),
    // so leases are claimed, handed back and claimed again.
    for (let wave = 0; wave < 5; wave++) {
      const round = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(`${bases[i % 2]}/proxy/gmail${LIST}`, {
            headers: env.headers(),
            signal: AbortSignal.timeout(30_000),
            client,
          });
          await res.body?.cancel();
          return res.status;
        }),
      );
      statuses.push(...round);
      await new Promise((r) => setTimeout(r, 300));
    }
    const elapsed = Date.now() - started;
    const admitted = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 429).length;
    console.log(
      `two processes, ${statuses.length} calls in ${elapsed} ms: ${admitted} admitted, ${refused} refused`,
    );
    assert.equal(admitted + refused, statuses.length, `statuses ${statuses}`);
    // One token comes back every 6 s: a slow machine may legitimately see more.
    const refilled = Math.floor(elapsed / 6000);
    assert.ok(admitted <= 11 + refilled, `admitted ${admitted} in ${elapsed} ms`);
    assert.ok(admitted >= 10, `admitted ${admitted}: the limit was used, not just refused`);
    assert.equal(env.fake.seenBy("gmail").length, admitted, "the provider saw only admitted calls");
  } finally {
    client.close();
    await other?.stop();
    await env.close();
  }
});
