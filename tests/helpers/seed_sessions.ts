/** Consent sessions written straight into an appliance: a pending, a failed and a completed one. */
import type { App } from "../../src/apps/app_store.ts";
import { endSession, insertSession, updateSession } from "../../src/flows/session_store.ts";
import type { Appliance } from "../../src/http/appliance.ts";
import { seedApp } from "./seed.ts";

/** Values stored with the sessions that no operator view may show. */
export const SECRETS = {
  sxcHash: "SXCHASHsxchashSXCHASHsxchashSXCHASHsxchash0",
  deviceCodeHash: "devicecodehash".padEnd(64, "d"),
  binding: "browserbinding".padEnd(64, "b"),
  stateHash: "statehash".padEnd(64, "5"),
  verifierId: "vault_verifier_secret_1",
  credentialId: "cred_completed_secret_1",
};

/** An app "shop" with sessions ses_pending1 (popup, alice), ses_failed1 (device, bob, access_denied), ses_done1 (alice). */
export async function seedSessions(appliance: Appliance): Promise<App> {
  const { app } = await seedApp(appliance, { name: "shop", origins: ["https://shop.test"] });
  const now = Date.now();
  const base = {
    appId: app.id,
    targetOrigin: "https://shop.test",
    returnUrl: null,
    pollIntervalS: null,
    expiresAt: now + 600_000,
  };
  const step = { scopes: ["openid"], status: "pending" as const };
  const pending = await insertSession(appliance.database.db, {
    ...base,
    id: "ses_pending1",
    entityId: "alice",
    flow: "popup",
    providers: { gmail: step },
    sxcHash: SECRETS.sxcHash,
    deviceCodeHash: null,
    createdAt: now - 3_000,
  });
  await updateSession(appliance.database.db, pending.id, { browserBinding: SECRETS.binding });
  await appliance.database.client.execute({
    sql: "INSERT INTO oauth_states (state_hash, session_id, provider, browser_binding, " +
      "verifier_id, created_at, expires_at) VALUES (?, ?, 'gmail', ?, ?, ?, ?)",
    args: [SECRETS.stateHash, pending.id, SECRETS.binding, SECRETS.verifierId, now, now + 600_000],
  });
  const failed = await insertSession(appliance.database.db, {
    ...base,
    id: "ses_failed1",
    entityId: "bob",
    flow: "device",
    providers: { github: step },
    sxcHash: null,
    deviceCodeHash: SECRETS.deviceCodeHash,
    pollIntervalS: 5,
    createdAt: now - 2_000,
  });
  await endSession(appliance.database, failed, "failed", "access_denied", now - 1_000);
  await insertSession(appliance.database.db, {
    ...base,
    id: "ses_done1",
    entityId: "alice",
    flow: "popup",
    providers: { gmail: step },
    sxcHash: SECRETS.sxcHash.replace("0", "1"),
    deviceCodeHash: null,
    createdAt: now - 1_000,
  });
  await updateSession(appliance.database.db, "ses_done1", {
    status: "completed",
    endedAt: now,
    providers: {
      gmail: {
        ...step,
        status: "connected",
        credentialId: SECRETS.credentialId,
        account: { id: "42", email: "alice@example.com" },
      },
    },
  });
  return app;
}
