import assert from "node:assert/strict";
import { CREDENTIAL_PURPOSE } from "../src/connections/connection_types.ts";
import { setup, startDeviceConsent } from "./helpers/flow_env.ts";
import { vaultCredential } from "./helpers/seed.ts";

Deno.test("refresh race: 200 concurrent requests on an expired token make exactly one refresh", async () => {
  const env = await setup();
  try {
    const { browser, providerUrl } = await startDeviceConsent(env, "racer");
    const callback = await env.oidc.loginAndConsent(providerUrl, { accountId: "racer" });
    await (await browser.go(callback)).body?.cancel();

    // Expire the stored access token; the upstream accepts only what the vault holds now.
    const row = await env.appliance.database.client.execute(
      "SELECT credential_id FROM connections WHERE entity_id = 'racer' AND status = 'active'",
    );
    const credId = String(row.rows[0].credential_id);
    const stored = (await vaultCredential(env.appliance, credId))!;
    const stale = stored.accessToken;
    await env.appliance.vault.put(
      credId,
      CREDENTIAL_PURPOSE,
      JSON.stringify({ ...stored, expiresAt: Date.now() - 1_000 }),
    );
    env.runtime.credentials.invalidate(
      String(
        (await env.appliance.database.client.execute(
          "SELECT id FROM connections WHERE entity_id = 'racer'",
        )).rows[0].id,
      ),
    );
    // The fake API accepts exactly the token the vault holds at that moment.
    env.setExpected(async () => (await vaultCredential(env.appliance, credId))!.accessToken);
    env.oidc.stats.reset();
    const headers = {
      "securix-api-key": env.apiKey,
      "securix-entity-id": "racer",
      "securix-agent-id": "agent-1",
    };
    {
      const answers = await Promise.all(
        Array.from(
          { length: 200 },
          () =>
            fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, { headers }).then(
              async (r) => {
                await r.body?.cancel();
                return r.status;
              },
            ),
        ),
      );
      const refreshes = env.oidc.stats.tokenCalls.refresh_token ?? 0;
      assert.equal(refreshes, 1, `token endpoint saw ${refreshes} refreshes`);
      const after = (await vaultCredential(env.appliance, credId))!;
      assert.notEqual(after.accessToken, stale);
      assert.ok(after.refreshToken, "the refresh token is kept");
      const ok = answers.filter((s) => s === 200).length;
      assert.equal(ok, 200, `statuses: ${[...new Set(answers)]}`);
    }
  } finally {
    await env.close();
  }
});
