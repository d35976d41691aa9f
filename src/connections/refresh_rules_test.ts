/**
 * The refresh rules the proxy issue spells out, against a real vault and
 * database: keep the old refresh token when the provider omits one, a token
 * without expiry is refreshed only when the provider rejects it, invalid_grant
 * re-reads storage before giving up, and failures back off.
 */
import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createApp } from "../apps/app_store.ts";
import type { TokenResult } from "../flows/flow_provider.ts";
import { getConnection } from "./connection_store.ts";
import { type Connection, CREDENTIAL_PURPOSE, type StoredCredential } from "./connection_types.ts";
import { CredentialSource, type Refresher } from "./credential_source.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import { seedStoredConnection } from "../../tests/helpers/seed.ts";

const INVALID_GRANT = new Error("invalid_grant");

/** A provider scripted per call: a token result, or an error to throw. */
function scripted(answers: ((refreshToken: string) => TokenResult | Promise<TokenResult>)[]) {
  const presented: string[] = [];
  const refresher: Refresher = {
    refresh(refreshToken) {
      presented.push(refreshToken);
      const answer = answers[presented.length - 1];
      if (!answer) throw new Error("unexpected refresh");
      return Promise.resolve(answer(refreshToken));
    },
    isInvalidGrant: (error) => error === INVALID_GRANT,
  };
  return { refresher, presented };
}

const issued = (accessToken: string, refreshToken: string | null, expiresAt: number | null) => ({
  accessToken,
  refreshToken,
  tokenType: "Bearer",
  expiresAt,
  scopes: null,
  idToken: null,
});

async function withSource(
  credential: StoredCredential,
  refresher: Refresher,
  now: () => number,
  fn: (ctx: {
    source: CredentialSource;
    connection: Connection;
    stored: () => Promise<StoredCredential>;
    put: (c: StoredCredential) => Promise<void>;
    status: () => Promise<string | undefined>;
  }) => Promise<void>,
): Promise<void> {
  const temp = await openTempAppliance({ now });
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
    const source = new CredentialSource({
      database: appliance.database,
      vault: appliance.vault,
      now,
      refresherFor: () => refresher,
    });
    await fn({
      source,
      connection,
      stored: async () =>
        JSON.parse((await appliance.vault.get("cred-1", CREDENTIAL_PURPOSE))!.value),
      put: async (c) => {
        await appliance.vault.put("cred-1", CREDENTIAL_PURPOSE, JSON.stringify(c));
      },
      status: async () => (await getConnection(appliance.database.db, "conn-1"))?.status,
    });
  } finally {
    await temp.cleanup();
  }
}

const base = { tokenType: "Bearer", scopes: [] };

Deno.test("refresh rules: a refresh answer without a refresh token keeps the old one", async () => {
  const clock = 1_000_000;
  const { refresher, presented } = scripted([() => issued("at-1", null, clock + 3_600_000)]);
  const expired = { ...base, accessToken: "at-0", refreshToken: "rt-0", expiresAt: clock - 1 };
  await withSource(expired, refresher, () => clock, async ({ source, connection, stored }) => {
    assert.equal((await source.get(connection)).accessToken, "at-1");
    assert.deepEqual(presented, ["rt-0"]);
    const after = await stored();
    assert.equal(after.accessToken, "at-1");
    assert.equal(after.refreshToken, "rt-0");
  });
});

Deno.test("refresh rules: no expires_in means unknown expiry — used until the provider rejects it", async () => {
  const clock = 1_000_000;
  const { refresher, presented } = scripted([() => issued("at-1", "rt-1", null)]);
  const open = { ...base, accessToken: "at-0", refreshToken: "rt-0", expiresAt: null };
  await withSource(open, refresher, () => clock, async ({ source, connection }) => {
    for (let i = 0; i < 3; i++) assert.equal((await source.get(connection)).accessToken, "at-0");
    assert.deepEqual(presented, [], "never refreshed on a guess");
    // What the proxy does on an upstream 401: present the rejected token.
    assert.equal((await source.get(connection, "at-0")).accessToken, "at-1");
    assert.deepEqual(presented, ["rt-0"]);
  });
});

Deno.test("refresh rules: invalid_grant re-reads storage; a token rotated meanwhile is used, not needs_reauth", async () => {
  const clock = 1_000_000;
  let put: (c: StoredCredential) => Promise<void> = () => Promise.resolve();
  const { refresher } = scripted([async () => {
    // Another process refreshed first and rotated the refresh token we hold.
    await put({
      ...base,
      accessToken: "at-other",
      refreshToken: "rt-other",
      expiresAt: clock + 3_600_000,
    });
    throw INVALID_GRANT;
  }]);
  const expired = { ...base, accessToken: "at-0", refreshToken: "rt-0", expiresAt: clock - 1 };
  await withSource(expired, refresher, () => clock, async (ctx) => {
    put = ctx.put;
    assert.equal((await ctx.source.get(ctx.connection)).accessToken, "at-other");
    assert.equal(await ctx.status(), "active");
  });
});

Deno.test("refresh rules: invalid_grant with nothing newer stored marks the connection needs_reauth", async () => {
  const clock = 1_000_000;
  const { refresher } = scripted([() => Promise.reject(INVALID_GRANT)]);
  const expired = { ...base, accessToken: "at-0", refreshToken: "rt-0", expiresAt: clock - 1 };
  await withSource(expired, refresher, () => clock, async ({ source, connection, status }) => {
    await assert.rejects(
      async () => await source.get(connection),
      (e: Error & { code?: string }) => e.code === "SX-TOKEN-EXPIRED",
    );
    assert.equal(await status(), "needs_reauth");
  });
});

Deno.test("refresh rules: after a failed refresh the provider is left alone for the backoff", async () => {
  let clock = 1_000_000;
  const { refresher, presented } = scripted([
    () => Promise.reject(new Error("503 from the token endpoint")),
    () => issued("at-1", "rt-1", clock + 3_600_000),
  ]);
  const expired = { ...base, accessToken: "at-0", refreshToken: "rt-0", expiresAt: clock - 1 };
  await withSource(expired, refresher, () => clock, async ({ source, connection, status }) => {
    // A passing failure: the agent is told to wait and retry, never to send the user to reconnect.
    const retry = (e: SecurixError) =>
      e.code === "SX-TOKEN-EXPIRED" && e.status === 401 &&
      (e.details as { status?: string }).status === "retry" &&
      /Wait \d+ seconds and retry/.test(e.llmError ?? "") &&
      !/reconnect \w+ through/.test(e.llmError ?? "") &&
      e.headers?.some(([name, value]) => name === "retry-after" && Number(value) >= 1) === true;
    await assert.rejects(async () => await source.get(connection), retry);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(async () => await source.get(connection), retry);
    }
    clock += 500;
    await assert.rejects(async () => await source.get(connection));
    assert.equal(presented.length, 1, "no refresh while backing off");
    clock += 1_000;
    assert.equal((await source.get(connection)).accessToken, "at-1");
    assert.equal(presented.length, 2);
    assert.equal(await status(), "active");
  });
});

Deno.test("refresh rules: a provider that keeps answering 401 gets one forced refresh per 30 s, not one per request", async () => {
  let clock = 1_000_000;
  const { refresher, presented } = scripted([
    () => issued("at-1", "rt-1", clock + 3_600_000),
    () => issued("at-2", "rt-2", clock + 3_600_000),
  ]);
  const valid = {
    ...base,
    accessToken: "at-0",
    refreshToken: "rt-0",
    expiresAt: clock + 3_600_000,
  };
  await withSource(valid, refresher, () => clock, async ({ source, connection }) => {
    assert.equal((await source.get(connection, "at-0")).accessToken, "at-1");
    for (let i = 0; i < 3; i++) {
      assert.equal((await source.get(connection, "at-1")).accessToken, "at-1");
    }
    assert.deepEqual(presented, ["rt-0"], "a scope error is not a reason to refresh again");
    clock += 31_000;
    assert.equal((await source.get(connection, "at-1")).accessToken, "at-2");
    assert.deepEqual(presented, ["rt-0", "rt-1"]);
  });
});
