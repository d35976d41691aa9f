import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createApp } from "../apps/app_store.ts";
import { apiActor } from "../audit/actor.ts";
import { verifyChain } from "../audit/verify_chain.ts";
import { webhookEndpoints } from "../db/schema.ts";
import type { TokenResult } from "../flows/flow_provider.ts";
import type { Appliance } from "../http/appliance.ts";
import type { Connection } from "./connection_types.ts";
import { CredentialSource } from "./credential_source.ts";
import { setPaused } from "./lifecycle.ts";
import { revokeConnection } from "./revoke_connection.ts";
import { seedStoredConnection } from "../../tests/helpers/seed.ts";

/** A refresher scripted per call: a token result, or an error (`invalid` = invalid_grant). */
function scripted(now: () => number, script: ("ok" | "down" | "invalid")[]) {
  let n = 0;
  return {
    async refresh(): Promise<TokenResult> {
      const step = script[n++];
      if (step !== "ok") throw new Error(step);
      await Promise.resolve();
      return {
        accessToken: `access-${n}`,
        refreshToken: `refresh-${n}`,
        tokenType: "Bearer",
        expiresAt: now() + 3_600_000,
        scopes: null,
        idToken: null,
      };
    },
    isInvalidGrant: (error: unknown) => (error as Error).message === "invalid",
  };
}

interface Env {
  appliance: Appliance;
  connection: Connection;
  clock: { t: number };
  kinds: () => Promise<{ kind: string; data: Record<string, unknown> }[]>;
  webhooks: () => Promise<string[]>;
}

async function withConnection(fn: (env: Env) => Promise<void>): Promise<void> {
  const clock = { t: 1_000_000 };
  const temp = await openTempAppliance({ now: () => clock.t });
  const { appliance } = temp;
  try {
    const app = await createApp(appliance.database.db, { name: "t", origins: [] }, appliance);
    await appliance.database.db.insert(webhookEndpoints).values({
      id: "whe_1",
      appId: app.id,
      url: "https://hooks.example/in",
      events: JSON.stringify(["*"]),
      secretId: "whs_1",
      createdAt: 0,
    });
    const credential = {
      accessToken: "access-0",
      refreshToken: "refresh-0",
      tokenType: "Bearer",
      expiresAt: clock.t - 1,
      scopes: [],
    };
    const connection = await seedStoredConnection(appliance, {
      id: "con_1",
      appId: app.id,
      entityId: "user-1",
      provider: "gmail",
      credential,
      credentialId: "cred_1",
      account: { id: "alice", email: "alice@example.com" },
    });
    const client = appliance.database.client;
    await fn({
      appliance,
      connection,
      clock,
      kinds: async () =>
        (await client.execute("SELECT kind, data FROM audit_log ORDER BY seq")).rows.map((r) => ({
          kind: String(r.kind),
          data: JSON.parse(String(r.data)),
        })),
      webhooks: async () =>
        (await client.execute("SELECT event_type FROM webhook_deliveries ORDER BY created_at"))
          .rows.map((r) => String(r.event_type)),
    });
    assert.deepEqual((await verifyChain(appliance.database.db)).ok, true);
    const dump = JSON.stringify((await client.execute("SELECT * FROM audit_log")).rows);
    assert.equal(/access-\d|refresh-\d/.test(dump), false, "no token in the audit log");
  } finally {
    await temp.cleanup();
  }
}

Deno.test("connection audit: refreshed (no webhook), refresh_failed, recovered, invalid_grant", async () => {
  await withConnection(async ({ appliance, connection, clock, kinds, webhooks }) => {
    const source = new CredentialSource({
      database: appliance.database,
      vault: appliance.vault,
      now: () => clock.t,
      refresherFor: () => refresher,
      sleep: () => Promise.resolve(),
    });
    const refresher = scripted(() => clock.t, ["down", "ok", "invalid"]);
    await assert.rejects(async () => await source.get(connection), /did not answer/);
    clock.t += 5_000; // past the backoff
    assert.equal((await source.get(connection)).accessToken, "access-2");
    clock.t += 2 * 3_600_000;
    await assert.rejects(async () => await source.get(connection), /invalid_grant/);
    const recorded = await kinds();
    assert.deepEqual(recorded.map((r) => r.kind), [
      "connection.refresh_failed",
      "connection.recovered",
      "connection.refreshed",
      "connection.refresh_failed",
    ]);
    assert.deepEqual(recorded[0].data, {
      connectionId: "con_1",
      reason: "provider_error",
      needsReauth: false,
    });
    assert.deepEqual(recorded[2].data, { connectionId: "con_1", expiresAt: 1_005_000 + 3_600_000 });
    assert.deepEqual(recorded[3].data, {
      connectionId: "con_1",
      reason: "invalid_grant",
      needsReauth: true,
    });
    assert.deepEqual(await webhooks(), [
      "connection.refresh_failed",
      "connection.recovered",
      "connection.refresh_failed",
    ]);
  });
});

Deno.test("connection audit: paused, resumed and revoked with the actor", async () => {
  await withConnection(async ({ appliance, connection, kinds, webhooks }) => {
    await setPaused(appliance, connection, true, { by: { actor: "cli", osUser: "ops" } });
    await setPaused(appliance, { ...connection, status: "paused" }, false);
    await revokeConnection(
      { ...appliance, providers: { enabled: new Map(), known: new Set() } },
      connection,
      { by: apiActor("key_1") },
    );
    const recorded = await kinds();
    assert.deepEqual(recorded.map((r) => r.kind), [
      "connection.paused",
      "connection.resumed",
      "connection.revoked",
    ]);
    assert.deepEqual(recorded[0].data, { connectionId: "con_1", actor: "cli", osUser: "ops" });
    assert.deepEqual(recorded[1].data, { connectionId: "con_1" });
    assert.deepEqual(recorded[2].data, {
      connectionId: "con_1",
      providerRevoked: false,
      actor: "api:key_1",
    });
    assert.equal(JSON.stringify(recorded).includes("alice@example.com"), false);
    assert.deepEqual(await webhooks(), [
      "connection.paused",
      "connection.resumed",
      "connection.revoked",
    ]);
  });
});
