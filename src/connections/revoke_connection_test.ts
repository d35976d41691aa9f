import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createApp } from "../apps/app_store.ts";
import { wireProviders } from "../providers/provider_registry.ts";
import { resolveTables, scriptedFetch, type SentRequest } from "../providers/test_util.ts";
import { getConnection, insertConnection } from "./connection_store.ts";
import { type Connection, CREDENTIAL_PURPOSE } from "./connection_types.ts";
import { revokeConnection } from "./revoke_connection.ts";

const ACCESS = "access-token-value";
const REFRESH = "refresh-token-value";

/**
 * The token a provider's revocation takes depends on its style: RFC 7009
 * servers end the whole grant with the refresh token, while bearer-style
 * endpoints (Dropbox, Slack, Linear) and GitHub's grant deletion take the
 * access token. A refresh token sent as a bearer token is refused, leaving
 * the grant alive at the provider.
 */
Deno.test("revokeConnection: presents the token each provider's revocation takes", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const app = await createApp(appliance.database.db, {
      name: "demo",
      origins: ["https://app.example.com"],
    }, appliance);
    const cases = [
      {
        provider: "dropbox",
        presented: (r: SentRequest) => r.headers.get("authorization"),
        expected: `Bearer ${ACCESS}`,
      },
      {
        provider: "gmail",
        presented: (r: SentRequest) => new URLSearchParams(r.body).get("token"),
        expected: REFRESH,
      },
    ];
    for (const { provider, presented, expected } of cases) {
      const fake = scriptedFetch(new Response("null", { status: 200 }));
      const resolved = await resolveTables({ [provider]: { client_id: "c", client_secret: "s" } });
      const wiring = wireProviders(resolved, { fetch: fake });
      const connection = await connected(appliance, app.id, provider);
      const result = await revokeConnection(
        { ...appliance, providers: wiring.registry },
        connection,
      );
      assert.deepEqual(result, { providerRevoked: true });
      assert.equal(fake.sent.length, 1);
      assert.equal(presented(fake.sent[0]), expected, provider);
      const after = await getConnection(appliance.database.db, connection.id);
      assert.equal(after?.status, "revoked");
      assert.equal(after?.credentialId, null);
      assert.equal(await appliance.vault.get(connection.credentialId!, CREDENTIAL_PURPOSE), null);
    }
  } finally {
    await temp.cleanup();
  }
});

async function connected(
  appliance: Awaited<ReturnType<typeof openTempAppliance>>["appliance"],
  appId: string,
  provider: string,
): Promise<Connection> {
  const now = appliance.now();
  const connection: Connection = {
    id: `con_${provider}`,
    appId,
    entityId: "user-1",
    provider,
    status: "active",
    scopes: [],
    account: { id: "acct-1" },
    credentialId: `cred_${provider}`,
    credentialExpiresAt: now + 3_600_000,
    sessionId: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await appliance.vault.put(
    connection.credentialId!,
    CREDENTIAL_PURPOSE,
    JSON.stringify({
      accessToken: ACCESS,
      refreshToken: REFRESH,
      tokenType: "Bearer",
      expiresAt: now + 3_600_000,
      scopes: [],
    }),
  );
  await insertConnection(appliance.database.db, connection);
  return connection;
}
