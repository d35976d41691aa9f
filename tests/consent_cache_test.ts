/**
 * A call made while the user is still consenting is refused (no connection
 * yet) and that answer is cached for the proxy's next calls; the consent's
 * completion must drop it, so the first call after the consent works at
 * once, by entity id and by connection id, not after the cache's TTL.
 */
import assert from "node:assert/strict";
import { setup, startDeviceConsent } from "./helpers/flow_env.ts";

Deno.test("consent completion drops the proxy's cached 'not connected' answer at once", async () => {
  // A frozen clock: the caches' TTLs never run out on their own in this test.
  const frozen = Date.now();
  const env = await setup({ now: () => frozen });
  try {
    const call = (selector: Record<string, string>) =>
      fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers: { "securix-api-key": env.apiKey, "securix-agent-id": "agent-1", ...selector },
      });
    const early = await call({ "securix-entity-id": "alice" });
    assert.equal((await early.json()).error.code, "SX-NOT-CONNECTED");

    const { browser, providerUrl } = await startDeviceConsent(env, "alice");
    const done = await browser.go(await env.oidc.loginAndConsent(providerUrl, { accountId: "a" }));
    assert.equal(done.status, 200);
    await done.body?.cancel();
    env.setExpected(() => env.vaultToken("alice"));

    const after = await call({ "securix-entity-id": "alice" });
    assert.equal(after.status, 200, await after.clone().text());
    await after.body?.cancel();
  } finally {
    await env.close();
  }
});
