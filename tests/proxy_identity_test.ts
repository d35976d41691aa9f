/**
 * The proxy's view of identity changes made elsewhere (the CLI, another
 * node): a revoked API key and a removed agent stop working within the cache
 * TTL (seconds), and what the audit keeps of a request: its note, never its
 * body or query values.
 */
import assert from "node:assert/strict";
import { removeAgent } from "../src/agents/agent_store.ts";
import { revokeApiKey } from "../src/apps/key_store.ts";
import { setup, startDeviceConsent } from "./helpers/flow_env.ts";
import { listRecords } from "../src/audit/read_records.ts";

/** Polls `check` every 100 ms for up to `ms`; returns how long it took, or fails. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

async function connected() {
  const env = await setup();
  const consent = await startDeviceConsent(env, "user-1");
  const callback = await env.oidc.loginAndConsent(consent.providerUrl, { accountId: "alice" });
  await (await consent.browser.go(callback)).body?.cancel();
  env.setExpected(() => env.vaultToken("user-1"));
  const headers = {
    "securix-api-key": env.apiKey,
    "securix-entity-id": "user-1",
    "securix-agent-id": "agent-1",
  };
  const call = async (extra: Record<string, string> = {}, init: RequestInit = {}) => {
    const res = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages?q=secret-q`, {
      ...init,
      headers: { ...headers, ...extra },
    });
    const body = await res.json();
    return { status: res.status, code: body.error?.code as string | undefined };
  };
  const row = await env.appliance.database.client.execute("SELECT id, app_id FROM api_keys");
  return { env, call, keyId: String(row.rows[0].id), appId: String(row.rows[0].app_id) };
}

Deno.test("proxy identity: a key revoked by another process stops working within seconds", async () => {
  const { env, call, keyId } = await connected();
  try {
    assert.equal((await call()).status, 200);
    // Straight in the database, as the CLI or another node would: no in-process invalidation.
    await revokeApiKey(env.appliance.database.db, keyId, env.appliance);
    const took = await within(10_000, "revocation", async () => (await call()).status === 401);
    assert.equal((await call()).code, "SX-API-KEY-INVALID");
    console.log(`revoked key refused after ${took} ms`);
  } finally {
    await env.close();
  }
});

Deno.test("proxy identity: an agent removed by another process is refused within seconds", async () => {
  const { env, call, appId } = await connected();
  try {
    assert.equal((await call()).status, 200);
    await removeAgent(env.appliance.database.db, appId, "agent-1");
    await within(10_000, "agent removal", async () => (await call()).status === 403);
    assert.equal((await call()).code, "SX-AGENT-UNKNOWN");
  } finally {
    await env.close();
  }
});

Deno.test("proxy identity: the audit note is recorded; query values and bodies are not", async () => {
  const { env, call } = await connected();
  try {
    const note = "summarising unread mail for the weekly digest";
    assert.equal((await call({ "x-securix-audit-note": note })).status, 200);
    const body = JSON.stringify({ raw: "BODY-MARKER-4f1c" });
    await call({ "content-type": "application/json" }, { method: "POST", body });
    await env.runtime.audit!.flush();
    const records = (await listRecords(env.appliance.database.db, { kinds: "proxy.request" }))
      .map((r) => r.data);
    assert.equal(records[0].note, note);
    assert.equal(records[0].path, "/gmail/v1/users/me/messages?q");
    const everything = JSON.stringify(
      (await env.appliance.database.client.execute("SELECT * FROM audit_log")).rows,
    );
    assert.doesNotMatch(everything, /secret-q/, "no query value in the audit log");
    assert.doesNotMatch(everything, /BODY-MARKER-4f1c/, "no body in the audit log");
  } finally {
    await env.close();
  }
});
