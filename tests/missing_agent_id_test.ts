/**
 * A call refused only because `securix-agent-id` was left out says so, in its
 * own words: which header, what goes in it and where agents are registered.
 * A client written for a Nexus-style gateway sends securix-connection-id and
 * the key, and has never heard of the agent header. Played against the served
 * appliance, oidc-provider as Google.
 */
import assert from "node:assert/strict";
import { setup, startDeviceConsent } from "./helpers/flow_env.ts";

Deno.test({
  name:
    "missing agent id: the proxy (by entity or by connection id) tells the developer to send securix-agent-id",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await setup();
    try {
      const consent = await startDeviceConsent(env, "user-1");
      const callback = await env.oidc.loginAndConsent(consent.providerUrl, { accountId: "alice" });
      await (await consent.browser.go(callback)).body?.cancel();
      env.setExpected(() => env.vaultToken("user-1"));
      const connectionId = String(
        (await env.appliance.database.client.execute("SELECT id FROM connections")).rows[0].id,
      );
      const call = async (headers: Record<string, string>) => {
        const res = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
          headers: { "securix-api-key": env.apiKey, ...headers },
        });
        return { status: res.status, body: await res.json() };
      };
      // Control: with the header, both selectors work.
      assert.equal(
        (await call({ "securix-entity-id": "user-1", "securix-agent-id": "agent-1" }))
          .status,
        200,
      );
      assert.equal(
        (await call({ "securix-connection-id": connectionId, "securix-agent-id": "agent-1" }))
          .status,
        200,
      );

      const selectors: Record<string, string>[] = [
        { "securix-entity-id": "user-1" },
        { "securix-connection-id": connectionId },
      ];
      for (const selector of selectors) {
        const { status, body } = await call(selector);
        const label = Object.keys(selector)[0];
        assert.equal(status, 400, label);
        assert.equal(body.error.code, "SX-MISSING-HEADER", label);
        assert.match(body.error.message, /^Send the securix-agent-id header/, label);
        assert.match(body.error.message, /securix agents add APP AGENT_ID/, label);
        assert.match(body.error.llmError, /securix-agent-id/, label);
        assert.deepEqual(body.error.details, { header: "securix-agent-id" }, label);
      }
      // Other missing headers keep their words.
      const noEntity = await call({ "securix-agent-id": "agent-1" });
      assert.equal(noEntity.body.error.message, "The securix-entity-id header is required");
    } finally {
      await env.close();
    }
  },
});
