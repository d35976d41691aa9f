import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { seedApp } from "../../tests/helpers/seed.ts";
import { listSessionsPage, readSession } from "./session_listing.ts";
import { insertSession } from "./session_store.ts";

Deno.test("session listing: a lapsed open session reads as expired without being written", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const db = appliance.database.db;
    const { app } = await seedApp(appliance, { name: "shop" });
    await insertSession(db, {
      id: "ses_lapsed1",
      appId: app.id,
      entityId: "alice",
      flow: "device",
      providers: { gmail: { scopes: [], status: "pending" } },
      sxcHash: null,
      targetOrigin: null,
      returnUrl: null,
      deviceCodeHash: null,
      pollIntervalS: 5,
      createdAt: 1_000,
      expiresAt: 2_000,
    });
    const now = 5_000;
    const page = { limit: 10, now };
    const expired = await listSessionsPage(db, { status: "expired" }, page);
    assert.deepEqual(expired.sessions.map((s) => [s.id, s.status, s.reason]), [
      ["ses_lapsed1", "expired", "session_expired"],
    ]);
    assert.equal((await listSessionsPage(db, { status: "pending" }, page)).sessions.length, 0);
    assert.equal((await readSession(db, "ses_lapsed1", now))?.status, "expired");
    const { rows } = await appliance.database.client.execute(
      "SELECT status, ended_at FROM auth_sessions WHERE id = 'ses_lapsed1'",
    );
    assert.deepEqual([rows[0].status, rows[0].ended_at], ["pending", null]);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("session listing: a provider filter that is no provider name matches nothing, without an SQL error", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const { app } = await seedApp(temp.appliance, { name: "shop" });
    await insertSession(db, {
      id: "ses_gmail1",
      appId: app.id,
      entityId: "alice",
      flow: "popup",
      providers: { gmail: { scopes: [], status: "pending" } },
      sxcHash: null,
      targetOrigin: null,
      returnUrl: null,
      deviceCodeHash: null,
      pollIntervalS: null,
      createdAt: 1_000,
      expiresAt: 9_000,
    });
    const page = { limit: 10, now: 2_000 };
    assert.equal((await listSessionsPage(db, { provider: "gmail" }, page)).sessions.length, 1);
    for (const provider of ['gmail"', "gm\\ail", "$.x", "GMAIL"]) {
      assert.equal((await listSessionsPage(db, { provider }, page)).sessions.length, 0, provider);
    }
  } finally {
    await temp.cleanup();
  }
});
