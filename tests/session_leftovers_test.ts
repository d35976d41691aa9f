/**
 * What failed consents leave behind: tokens from a popup session whose sxc
 * reveal fails or that expires unconfirmed are revoked at the provider and
 * deleted, with their pending connection rows; repeated "Continue" posts keep
 * a bounded number of OAuth states and PKCE verifiers. Attempt counters whose
 * window has ended are swept by housekeeping too.
 */
import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { type FlowEnv, openDeviceConsent, popupToCallback, setup } from "./helpers/flow_env.ts";

/** A popup session consented at the provider, its callback visited, its sxc not yet revealed. */
async function popupConsented(env: FlowEnv, entityId: string, sxc: string) {
  const { session, browser, callback } = await popupToCallback(env, entityId, sxc, entityId);
  const done = await browser.go(callback);
  assert.equal(done.status, 200, await done.text());
  return session.sessionId;
}

async function count(env: FlowEnv, sql: string): Promise<number> {
  const { rows } = await env.appliance.database.client.execute(sql);
  return Number(rows[0][0]);
}

const credentials = (env: FlowEnv) =>
  count(env, "SELECT count(*) FROM vault_records WHERE purpose = 'provider-credential'");
const pendingConnections = (env: FlowEnv) =>
  count(env, "SELECT count(*) FROM connections WHERE status = 'pending'");

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("leftovers: a popup session whose sxc reveal fails keeps no token, revoked at the provider", async () => {
  const env = await setup();
  try {
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    const sessionId = await popupConsented(env, "user-1", sxc);
    assert.equal(await credentials(env), 1, "the tokens wait in the vault for the reveal");
    assert.equal(await pendingConnections(env), 1);
    env.oidc.stats.reset();
    for (let i = 0; i < 5; i++) {
      const wrong = await env.api(`/v1/auth/sessions/${sessionId}/confirm`, {
        method: "POST",
        body: JSON.stringify({ sxc: `${sxc}x` }),
      });
      assert.equal(wrong.status, 403);
      await wrong.body?.cancel();
    }
    assert.equal(await credentials(env), 0, "no credential left in the vault");
    assert.equal(await pendingConnections(env), 0, "no connection row that never became usable");
    assert.equal(env.oidc.stats.revocationCalls, 1, "revoked at the provider");
    const status = await (await env.api(`/v1/auth/sessions/${sessionId}`)).json();
    assert.equal(status.status, "failed");
  } finally {
    await env.close();
  }
});

Deno.test("leftovers: a popup session that expires unconfirmed is swept by housekeeping", async () => {
  const env = await setup({ runtime: { sessionTtlMs: 4_000, housekeepingMs: 200 } });
  try {
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    await popupConsented(env, "user-2", sxc);
    assert.equal(await credentials(env), 1);
    env.oidc.stats.reset();
    await until("the sweep", async () => await credentials(env) === 0);
    assert.equal(await pendingConnections(env), 0);
    await until("the revocation", () => Promise.resolve(env.oidc.stats.revocationCalls === 1));
    assert.equal(await count(env, "SELECT count(*) FROM oauth_states"), 0, "expired states swept");
  } finally {
    await env.close();
  }
});

Deno.test("leftovers: 50 Continue posts keep at most 3 states and verifiers; the newest still works", async () => {
  const env = await setup();
  try {
    const { browser, connectUrl, csrf } = await openDeviceConsent(env, "user-3");
    let location = "";
    for (let i = 0; i < 50; i++) {
      const res = await browser.form(`${connectUrl}/continue`, { csrf });
      assert.equal(res.status, 303);
      await res.body?.cancel();
      location = res.headers.get("location")!;
    }
    assert.ok(await count(env, "SELECT count(*) FROM oauth_states") <= 3);
    assert.ok(
      await count(env, "SELECT count(*) FROM vault_records WHERE purpose = 'pkce-verifier'") <= 3,
    );
    const callback = await env.oidc.loginAndConsent(location, { accountId: "user-3" });
    const done = await browser.go(callback);
    assert.equal(done.status, 200, await done.text());
    assert.equal(await credentials(env), 1);
  } finally {
    await env.close();
  }
});

Deno.test("leftovers: housekeeping deletes attempt counters whose window has ended, keeps live ones", async () => {
  const env = await setup({ runtime: { housekeepingMs: 100 } });
  try {
    const now = Date.now();
    const insert = (key: string, windowStart: number) =>
      env.appliance.database.client.execute({
        sql: "INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 3)",
        args: [key, windowStart],
      });
    await insert("device-code-failures:203.0.113.1", now - 60 * 60_000);
    await insert("device-code-entries:ses_gone", 0);
    await insert("device-code-failures:203.0.113.2", now - 60_000);
    const left = () => count(env, "SELECT count(*) FROM rate_counters");
    await until("the sweep", async () => await left() === 1, 5_000);
    const { rows } = await env.appliance.database.client.execute(
      "SELECT key, count FROM rate_counters",
    );
    assert.deepEqual([rows[0].key, rows[0].count], ["device-code-failures:203.0.113.2", 3]);
  } finally {
    await env.close();
  }
});
