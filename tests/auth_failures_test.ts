/**
 * Unauthenticated traffic on a served appliance: bad API keys are counted
 * (metric, one `auth.failed` audit summary per address and minute), not
 * chained one record each, and an address that keeps failing is locked out
 * (429 SX-AUTH-LOCKOUT, Retry-After) before any key lookup, while other
 * clients keep working. X-Forwarded-For counts only from trusted proxies.
 */
import assert from "node:assert/strict";
import { listRecords } from "../src/audit/read_records.ts";
import { verifyChain } from "../src/audit/verify_chain.ts";
import { type Served, served } from "./helpers/served_gmail.ts";

async function get(url: string, headers: Record<string, string>) {
  const res = await fetch(url, { headers });
  const body = await res.json();
  return { status: res.status, code: body.error?.code as string | undefined, headers: res.headers };
}

/** `n` requests, `width` at a time; the statuses and codes seen, counted. */
async function flood(n: number, width: number, send: (i: number) => Promise<{ code?: string }>) {
  const seen = new Map<string, number>();
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const { code } = await send(next++);
      seen.set(code ?? "ok", (seen.get(code ?? "ok") ?? 0) + 1);
    }
  }));
  return Object.fromEntries(seen);
}

async function authFailureCounts(env: Served): Promise<Record<string, number>> {
  const text = await (await env.runtime.metrics.render()).text();
  const counts: Record<string, number> = {};
  for (
    const match of text.matchAll(/^securix_auth_failures_total\{reason="([a-z_]+)"\} (\d+)$/gm)
  ) {
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

Deno.test("auth failures: 2,000 bad keys → a few audit summaries, 2,000 counted, lockout with Retry-After", async () => {
  // trust_proxy = true: a proxy on loopback tells the client address in X-Forwarded-For.
  const env = await served(true);
  try {
    const attacker = "203.0.113.66";
    const badKey = (i: number) => ({
      "securix-api-key": `sx_bad_${i}`,
      "x-forwarded-for": attacker,
    });
    const started = performance.now();
    const seen = await flood(
      2_000,
      16,
      (i) =>
        get(`${env.base}/proxy/gmail/gmail/v1/users/me/messages`, {
          ...badKey(i),
          "securix-entity-id": "alice",
          "securix-agent-id": "agent-1",
        }),
    );
    console.log(`2,000 bad-key requests in ${Math.round(performance.now() - started)} ms`, seen);
    assert.deepEqual(seen, { "SX-API-KEY-INVALID": 20, "SX-AUTH-LOCKOUT": 1_980 });

    // The lockout holds on the API too, even for a good key, and says when to come back.
    const locked = await get(`${env.base}/v1/agents`, { ...env.good, "x-forwarded-for": attacker });
    assert.equal(locked.status, 429);
    assert.equal(locked.code, "SX-AUTH-LOCKOUT");
    const retryAfter = Number(locked.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);

    // Another client (another address behind the proxy) is served as usual.
    const other = { ...env.good, "x-forwarded-for": "203.0.113.77" };
    const proxied = await get(`${env.base}/proxy/gmail/gmail/v1/users/me/messages`, other);
    assert.equal(proxied.status, 200);
    assert.equal((await get(`${env.base}/v1/agents`, other)).status, 200);
    const missing = await get(`${env.base}/v1/agents`, { "x-forwarded-for": "203.0.113.78" });
    assert.equal(missing.code, "SX-API-KEY-MISSING");

    assert.deepEqual(await authFailureCounts(env), {
      invalid_key: 20,
      locked_out: 1_981,
      missing_key: 1,
    });

    await env.stop(); // flushes the open summaries and the audit buffer
    const db = env.appliance.database.db;
    const summaries = await listRecords(db, { kinds: "auth.failed" });
    const proxied401 = await listRecords(db, { kinds: "proxy.request" });
    console.log(`audit: ${summaries.length} auth.failed, ${proxied401.length} proxy.request`);
    assert.ok(summaries.length >= 2 && summaries.length <= 6, `${summaries.length} summaries`);
    const fromAttacker = summaries.filter((r) => r.data.address === attacker);
    assert.equal(fromAttacker.reduce((n, r) => n + (r.data.count as number), 0), 2_001);
    assert.equal(proxied401.length, 1, "only the authenticated request is a proxy.request");
    assert.equal(proxied401[0].data.status, 200);
    const verified = await verifyChain(db);
    assert.equal(verified.ok, true, JSON.stringify(verified));
  } finally {
    await env.close();
  }
});

Deno.test("auth failures: a direct client's X-Forwarded-For does not escape the lockout", async () => {
  // Only 10.0.0.0/8 is a trusted proxy: the test client on 127.0.0.1 talks to the appliance directly.
  const env = await served(["10.0.0.0/8"], 5);
  try {
    const seen = await flood(40, 4, (i) =>
      get(`${env.base}/v1/agents`, {
        "securix-api-key": `sx_bad_${i}`,
        // A fresh made-up address each time: would reset the count if it were believed.
        "x-forwarded-for": `198.51.100.${i}`,
      }));
    assert.deepEqual(seen, { "SX-API-KEY-INVALID": 5, "SX-AUTH-LOCKOUT": 35 });
    const good = await get(`${env.base}/proxy/gmail/gmail/v1/users/me/messages`, {
      ...env.good,
      "x-forwarded-for": "198.51.100.250",
    });
    assert.equal(good.code, "SX-AUTH-LOCKOUT");
    await env.stop();
    const summaries = await listRecords(env.appliance.database.db, { kinds: "auth.failed" });
    assert.deepEqual(summaries.map((r) => r.data.address), ["127.0.0.1"]);
  } finally {
    await env.close();
  }
});

Deno.test("auth failures: malformed requests refused before the key check are summarised too", async () => {
  const env = await served(false);
  try {
    const big = "x".repeat(40 * 1024); // past the proxy's 32 KiB, under Deno's own limit
    const seen = await flood(
      300,
      8,
      () => get(`${env.base}/proxy/gmail/gmail/v1/users/me/messages`, { "x-padding": big }),
    );
    assert.deepEqual(seen, { "SX-HEADERS-TOO-LARGE": 300 });
    assert.deepEqual(await authFailureCounts(env), { headers_too_large: 300 });
    await env.stop();
    const db = env.appliance.database.db;
    assert.equal((await listRecords(db, { kinds: "proxy.request" })).length, 0);
    const summaries = await listRecords(db, { kinds: "auth.failed" });
    assert.ok(summaries.length >= 1 && summaries.length <= 2, `${summaries.length} summaries`);
    assert.equal(summaries.reduce((n, r) => n + (r.data.count as number), 0), 300);
    assert.equal((await verifyChain(db)).ok, true);
  } finally {
    await env.close();
  }
});
