import assert from "node:assert/strict";
import { openTempAppliance, type TempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createApp } from "../apps/app_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { TokenResult } from "../flows/flow_provider.ts";
import { providerErrors } from "../providers/provider_errors.ts";
import { addEndpoint } from "../webhooks/endpoint_store.ts";
import { getConnection } from "./connection_store.ts";
import { type Connection, CREDENTIAL_PURPOSE, type StoredCredential } from "./connection_types.ts";
import { CredentialSource, type Refresher } from "./credential_source.ts";
import { setPaused } from "./lifecycle.ts";
import { acquireLease, releaseLease } from "./refresh_lease.ts";
import { refreshNow, type RefreshNowDeps } from "./refresh_now.ts";
import { seedStoredConnection } from "../../tests/helpers/seed.ts";

const STORED: StoredCredential = {
  accessToken: "at-0",
  refreshToken: "rt-0",
  tokenType: "Bearer",
  expiresAt: Date.now() + 3_600_000,
  scopes: ["email"],
};

/** A temp appliance with one active gmail connection, `con_1`, and a webhook endpoint. */
async function withConnection(
  fn: (temp: TempAppliance, connection: Connection) => Promise<void>,
): Promise<void> {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const db = appliance.database.db;
    const app = await createApp(db, { name: "t", origins: ["https://t.example"] }, appliance);
    await addEndpoint({ db, vault: appliance.vault, now: appliance.now }, app.id, "https://x", [
      "*",
    ]);
    const connection = await seedStoredConnection(appliance, {
      id: "con_1",
      appId: app.id,
      entityId: "e1",
      provider: "gmail",
      credential: STORED,
      credentialId: "cred_1",
      scopes: ["email"],
    });
    await fn(temp, connection);
  } finally {
    await temp.cleanup();
  }
}

function deps(temp: TempAppliance, refresher: Refresher, extra: Partial<RefreshNowDeps> = {}) {
  const { database, vault, now } = temp.appliance;
  return {
    database,
    vault,
    now,
    refresherFor: () => refresher,
    providerEnabled: () => true,
    ...extra,
  };
}

function counting(answer: () => Promise<TokenResult>) {
  const presented: string[] = [];
  const refresher: Refresher = {
    refresh: (token) => {
      presented.push(token);
      return answer();
    },
    isInvalidGrant: () => false,
  };
  return { refresher, presented };
}

async function queuedEvents(temp: TempAppliance): Promise<string[]> {
  const { rows } = await temp.appliance.database.client.execute(
    "SELECT event_type FROM webhook_deliveries ORDER BY created_at",
  );
  return rows.map((r) => String(r.event_type));
}

Deno.test("refreshNow: refreshes a token that is far from expiry", async () => {
  await withConnection(async (temp) => {
    const expiresAt = Date.now() + 7_200_000;
    const { refresher, presented } = counting(() =>
      Promise.resolve({
        accessToken: "at-1",
        refreshToken: null,
        tokenType: "Bearer",
        expiresAt,
        scopes: null,
        idToken: null,
      })
    );
    const result = await refreshNow(deps(temp, refresher), "con_1");
    assert.equal(result.outcome, "refreshed");
    assert.equal(result.expiresAt, expiresAt);
    assert.deepEqual(result.scopes, ["email"], "kept when the provider does not restate them");
    assert.deepEqual(presented, ["rt-0"]);
    const stored = await temp.appliance.vault.get("cred_1", CREDENTIAL_PURPOSE);
    assert.deepEqual(
      [JSON.parse(stored!.value).accessToken, JSON.parse(stored!.value).refreshToken],
      ["at-1", "rt-0"],
    );
    const row = await getConnection(temp.appliance.database.db, "con_1");
    assert.equal(row?.credentialExpiresAt, expiresAt);
  });
});

Deno.test("refreshNow: while a serving process holds the lease, it waits and takes that result", async () => {
  await withConnection(async (temp) => {
    const { database, vault } = temp.appliance;
    assert.ok(await acquireLease(database.db, "con_1", "serving", Date.now(), 30_000));
    const { refresher, presented } = counting(() => Promise.reject(new Error("not called")));
    let waits = 0;
    // The other process finishes its refresh while we wait for the lease.
    const sleep = async () => {
      if (++waits === 2) {
        const next = { ...STORED, accessToken: "at-server", expiresAt: Date.now() + 3_600_000 };
        assert.equal(
          await vault.putIfVersion("cred_1", CREDENTIAL_PURPOSE, JSON.stringify(next), 1),
          2,
        );
        await releaseLease(database.db, "con_1", "serving");
      }
      await Promise.resolve();
    };
    const result = await refreshNow(deps(temp, refresher, { sleep }), "con_1");
    assert.equal(result.outcome, "reused");
    assert.deepEqual(presented, [], "the refresh token is presented once, by the lease holder");
    assert.equal(waits, 2);
  });
});

Deno.test("refreshNow: a provider that does not answer is SX-REFRESH-FAILED; the connection stays", async () => {
  await withConnection(async (temp) => {
    const { refresher } = counting(() =>
      Promise.reject(providerErrors.unreachable("gmail", "refresh", "timed out after 10 s"))
    );
    await assert.rejects(refreshNow(deps(temp, refresher), "con_1"), (error) => {
      assert.ok(error instanceof SecurixError);
      assert.equal(error.code, "SX-REFRESH-FAILED");
      assert.equal(
        error.message,
        'Connection "con_1" was not refreshed and keeps its current token: ' +
          'Cannot refresh the token for "gmail": timed out after 10 s',
      );
      assert.equal(error.details?.cause, "SX-PROVIDER-UNREACHABLE");
      return true;
    });
    const row = await getConnection(temp.appliance.database.db, "con_1");
    assert.equal(row?.status, "active");
    assert.deepEqual(await queuedEvents(temp), ["connection.refresh_failed"]);
    const stored = await temp.appliance.vault.get("cred_1", CREDENTIAL_PURPOSE);
    assert.equal(JSON.parse(stored!.value).accessToken, "at-0", "the old token is kept");
  });
});

Deno.test("refreshNow: refuses pending connections and those a provider cannot refresh", async () => {
  await withConnection(async (temp, connection) => {
    const { refresher, presented } = counting(() => Promise.reject(new Error("not called")));
    const codeOf = (extra: Partial<RefreshNowDeps>) =>
      refreshNow(deps(temp, refresher, extra), "con_1").then(
        () => null,
        (e: SecurixError) => `${e.code}: ${e.message}`,
      );
    assert.match(
      (await codeOf({ refresherFor: () => null }))!,
      /^SX-REFRESH-UNSUPPORTED: .*gmail does not support refresh$/,
    );
    assert.match(
      (await codeOf({ providerEnabled: () => false }))!,
      /^SX-REFRESH-UNSUPPORTED: .*not enabled in this config; add \[providers\.gmail\]/,
    );
    await temp.appliance.database.client.execute(
      "UPDATE connections SET status = 'pending' WHERE id = 'con_1'",
    );
    assert.match(
      (await codeOf({}))!,
      /^SX-CONNECTION-STATE: Cannot refresh connection "con_1": it is pending; the user has not finished connecting$/,
    );
    assert.equal(connection.status, "active");
    assert.deepEqual(presented, []);
  });
});

Deno.test("refresh: a user's pause made while a refresh is in flight survives its invalid_grant", async () => {
  await withConnection(async (temp, connection) => {
    const { database, vault, now } = temp.appliance;
    const asked = Promise.withResolvers<void>();
    const answer = Promise.withResolvers<TokenResult>();
    const refresher: Refresher = {
      refresh: () => {
        asked.resolve();
        return answer.promise;
      },
      isInvalidGrant: () => true,
    };
    const source = new CredentialSource({ database, vault, now, refresherFor: () => refresher });
    // A proxied call's 401 makes the source refresh; the user pauses meanwhile.
    const call = Promise.resolve(source.get(connection, "at-0"));
    await asked.promise;
    await setPaused({ database, now }, connection, true);
    answer.reject(new Error("invalid_grant"));
    await assert.rejects(call);
    const row = await getConnection(database.db, "con_1");
    assert.equal(row?.status, "paused", "the pause is the user's; a dead token does not undo it");
    assert.deepEqual(await queuedEvents(temp), ["connection.paused"]);
  });
});

Deno.test("refreshNow: invalid_grant on a paused connection leaves it paused", async () => {
  await withConnection(async (temp, connection) => {
    const { database, now } = temp.appliance;
    await setPaused({ database, now }, connection, true);
    const refresher: Refresher = {
      refresh: () => Promise.reject(new Error("invalid_grant")),
      isInvalidGrant: () => true,
    };
    await assert.rejects(refreshNow(deps(temp, refresher), "con_1"));
    assert.equal((await getConnection(database.db, "con_1"))?.status, "paused");
  });
});
