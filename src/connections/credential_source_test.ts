import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createApp } from "../apps/app_store.ts";
import type { TokenResult } from "../flows/flow_provider.ts";
import { type Connection, CREDENTIAL_PURPOSE, type StoredCredential } from "./connection_types.ts";
import { CredentialSource, type Refresher } from "./credential_source.ts";
import { seedStoredConnection } from "../../tests/helpers/seed.ts";

/** A provider that issues `lifetimeMs` tokens and rotates its refresh token. */
function rotatingRefresher(now: () => number, lifetimeMs: number, delayMs = 0) {
  const presented: string[] = [];
  let n = 0;
  const refresher: Refresher = {
    async refresh(refreshToken: string): Promise<TokenResult> {
      presented.push(refreshToken);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      n++;
      return {
        accessToken: `at-${n}`,
        refreshToken: `rt-${n}`,
        tokenType: "Bearer",
        expiresAt: now() + lifetimeMs,
        scopes: null,
        idToken: null,
      };
    },
    isInvalidGrant: () => false,
  };
  return { refresher, presented };
}

async function withConnection(
  credential: StoredCredential,
  fn: (
    deps: Awaited<ReturnType<typeof openTempAppliance>>,
    connection: Connection,
  ) => Promise<void>,
): Promise<void> {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const app = await createApp(appliance.database.db, { name: "t", origins: [] }, appliance);
    const connection = await seedStoredConnection(appliance, {
      id: "conn-1",
      appId: app.id,
      entityId: "e1",
      provider: "gmail",
      credential,
      credentialId: "cred-1",
    });
    await fn(temp, connection);
  } finally {
    await temp.cleanup();
  }
}

const base = { tokenType: "Bearer", scopes: [], refreshToken: "rt-0" };

Deno.test("credential source: a token living shorter than the skew is not refreshed on every use", async () => {
  let clock = 1_000_000;
  const now = () => clock;
  const { refresher, presented } = rotatingRefresher(now, 20_000);
  const initial = { ...base, accessToken: "at-0", expiresAt: clock + 20_000, obtainedAt: clock };
  await withConnection(initial, async ({ appliance }, connection) => {
    const source = new CredentialSource({
      database: appliance.database,
      vault: appliance.vault,
      now,
      refresherFor: () => refresher,
    });
    assert.equal((await source.get(connection)).accessToken, "at-0");
    clock += 14_000; // still outside the last quarter of its 20 s life
    assert.equal((await source.get(connection)).accessToken, "at-0");
    clock += 1_000;
    assert.equal((await source.get(connection)).accessToken, "at-1");
    for (let i = 0; i < 5; i++) assert.equal((await source.get(connection)).accessToken, "at-1");
    assert.deepEqual(presented, ["rt-0"]);
    const stored = JSON.parse((await appliance.vault.get("cred-1", CREDENTIAL_PURPOSE))!.value);
    assert.equal(stored.obtainedAt, clock, "the new token's lifetime is recorded");
  });
});

Deno.test("credential source: two sources on one database (two processes) refresh once between them", async () => {
  const { refresher, presented } = rotatingRefresher(Date.now, 3_600_000, 50);
  const expired = { ...base, accessToken: "at-0", expiresAt: Date.now() - 1_000 };
  await withConnection(expired, async ({ appliance }, connection) => {
    const sources = [1, 2].map(() =>
      new CredentialSource({
        database: appliance.database,
        vault: appliance.vault,
        now: Date.now,
        refresherFor: () => refresher,
      })
    );
    const got = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sources[i % 2].get(connection)),
    );
    assert.deepEqual(new Set(got.map((c) => c.accessToken)), new Set(["at-1"]));
    assert.deepEqual(presented, ["rt-0"], "the refresh token is presented exactly once");
    const stored = JSON.parse((await appliance.vault.get("cred-1", CREDENTIAL_PURPOSE))!.value);
    assert.equal(stored.refreshToken, "rt-1");
  });
});

Deno.test("credential source: an API key never expires and a rejection never refreshes it", async () => {
  let clock = 1_000_000;
  const now = () => clock;
  const { refresher, presented } = rotatingRefresher(now, 20_000);
  const key: StoredCredential = { kind: "api_key", fields: { key: "k-1" } };
  await withConnection(key, async ({ appliance }, connection) => {
    const source = new CredentialSource({
      database: appliance.database,
      vault: appliance.vault,
      now,
      refresherFor: () => refresher,
    });
    assert.deepEqual(await source.get(connection), key);
    clock += 365 * 24 * 3600_000;
    assert.deepEqual(await source.get(connection), key);
    assert.deepEqual(await source.get(connection, "k-1"), key);
    assert.deepEqual(presented, [], "nothing to refresh");
  });
});

Deno.test("credential source: a vault record that does not parse is a typed error, not a crash", async () => {
  await withConnection(
    { kind: "basic", username: "u", password: "p" },
    async (temp, connection) => {
      await temp.appliance.vault.put(
        "cred-1",
        CREDENTIAL_PURPOSE,
        JSON.stringify({ kind: "nope" }),
      );
      const source = new CredentialSource({
        database: temp.appliance.database,
        vault: temp.appliance.vault,
        now: () => 0,
        refresherFor: () => null,
      });
      await assert.rejects(
        async () => await source.get(connection),
        (e: unknown) => (e as { code?: string }).code === "SX-CREDENTIAL-UNREADABLE",
      );
    },
  );
});

Deno.test("credential source: a cached credential is answered without a promise; a rejected or expiring one is loaded", async () => {
  let clock = 1_000_000;
  const now = () => clock;
  const { refresher, presented } = rotatingRefresher(now, 3_600_000);
  const initial = { ...base, accessToken: "at-0", expiresAt: clock + 3_600_000, obtainedAt: clock };
  await withConnection(initial, async ({ appliance }, connection) => {
    const source = new CredentialSource({
      database: appliance.database,
      vault: appliance.vault,
      now,
      refresherFor: () => refresher,
    });
    const first = source.get(connection);
    assert.ok(first instanceof Promise, "the first use reads the vault");
    assert.equal((await first as { accessToken: string }).accessToken, "at-0");
    const cached = source.get(connection);
    assert.ok(!(cached instanceof Promise), "a cached credential costs no promise per call");
    assert.equal((cached as { accessToken: string }).accessToken, "at-0");
    const replay = source.get(connection, "at-0");
    assert.ok(replay instanceof Promise, "a token the provider rejected is refreshed");
    assert.equal((await replay as { accessToken: string }).accessToken, "at-1");
    clock += 3_600_000;
    const due = source.get(connection);
    assert.ok(due instanceof Promise, "an expiring token is refreshed");
    assert.equal((await due as { accessToken: string }).accessToken, "at-2");
    assert.deepEqual(presented, ["rt-0", "rt-1"]);
  });
});
