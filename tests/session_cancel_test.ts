/**
 * POST /v1/auth/sessions/{id}/cancel {sxc}: the browser client ends the popup session it
 * gave up on (the user started again after the window looked closed), so a consent still
 * going on in that window can never complete or be confirmed.
 */
import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { type FlowEnv, popupToCallback, setup } from "./helpers/flow_env.ts";

const newSxc = () => encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));

async function post(env: FlowEnv, path: string, body: unknown) {
  const res = await env.api(path, { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

const credentials = async (env: FlowEnv) => {
  const { rows } = await env.appliance.database.client.execute(
    "SELECT count(*) FROM vault_records WHERE purpose = 'provider-credential'",
  );
  return Number(rows[0][0]);
};

Deno.test("session cancel: a session cancelled while the user is at the provider never completes", async () => {
  const env = await setup();
  try {
    const sxc = newSxc();
    const { session, browser, callback } = await popupToCallback(env, "user-1", sxc, "user-1");
    const id = session.sessionId;

    const wrong = await post(env, `/v1/auth/sessions/${id}/cancel`, { sxc: newSxc() });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.error.code, "SX-SXC-MISMATCH");
    const still = await (await env.api(`/v1/auth/sessions/${id}`)).json();
    assert.equal(still.status, "pending", "a wrong sxc changes nothing");

    const cancelled = await post(env, `/v1/auth/sessions/${id}/cancel`, { sxc });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.json));
    assert.equal(cancelled.json.status, "failed");
    assert.equal(cancelled.json.reason, "user_cancelled");

    // The user finishes at the provider in the window the app gave up on.
    await (await browser.go(callback)).body?.cancel();
    const after = await (await env.api(`/v1/auth/sessions/${id}`)).json();
    assert.equal(after.status, "failed");
    assert.equal(await credentials(env), 0, "no token kept for the cancelled consent");
    const confirm = await post(env, `/v1/auth/sessions/${id}/confirm`, { sxc });
    assert.equal(confirm.status, 409);
    assert.equal(confirm.json.error.code, "SX-SESSION-ENDED");

    const again = await post(env, `/v1/auth/sessions/${id}/cancel`, { sxc });
    assert.equal(again.status, 200, "cancelling twice answers the ended session");
    assert.equal(again.json.status, "failed");
  } finally {
    await env.close();
  }
});

Deno.test("session cancel: a consented, unconfirmed session is ended and its tokens revoked", async () => {
  const env = await setup();
  try {
    const sxc = newSxc();
    const { session, browser, callback } = await popupToCallback(env, "user-2", sxc, "user-2");
    const done = await browser.go(callback);
    assert.equal(done.status, 200, await done.text());
    assert.equal(await credentials(env), 1);
    env.oidc.stats.reset();

    const cancelled = await post(env, `/v1/auth/sessions/${session.sessionId}/cancel`, { sxc });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.json));
    assert.equal(cancelled.json.status, "failed");
    assert.equal(await credentials(env), 0);
    assert.equal(env.oidc.stats.revocationCalls, 1, "revoked at the provider");
    const confirm = await post(env, `/v1/auth/sessions/${session.sessionId}/confirm`, { sxc });
    assert.equal(confirm.json.error.code, "SX-SESSION-ENDED");
  } finally {
    await env.close();
  }
});
