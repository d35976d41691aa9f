import assert from "node:assert/strict";
import { adminSessions } from "../db/schema.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import {
  endAdminSession,
  ENROL_TTL_MS,
  resumeAdminSession,
  SESSION_IDLE_MS,
  SESSION_TTL_MS,
  startAdminSession,
} from "./admin_session_store.ts";
import { createLoginLink, LOGIN_LINK_TTL_MS, redeemLoginLink } from "./login_link_store.ts";

Deno.test("admin sessions: stored as digests; end when idle, at their lifetime, or signed out", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const t0 = 1_000_000;
    const { token } = await startAdminSession(db, "adm_1", "password", t0);
    const rows = await db.select().from(adminSessions);
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0].digest, token);
    assert.equal(JSON.stringify(rows).includes(token), false, "the token is not stored");

    // Used every 20 minutes it lives 12 hours, not a moment longer.
    let t = t0;
    while (t + 20 * 60_000 < t0 + SESSION_TTL_MS) {
      t += 20 * 60_000;
      assert.ok(await resumeAdminSession(db, token, t), `alive at ${t - t0}`);
    }
    assert.equal(await resumeAdminSession(db, token, t0 + SESSION_TTL_MS), null);

    const idle = await startAdminSession(db, "adm_1", "password", t0);
    assert.equal(await resumeAdminSession(db, idle.token, t0 + SESSION_IDLE_MS + 1), null);

    const enrol = await startAdminSession(db, "adm_1", "enrol", t0);
    assert.equal(enrol.session.expiresAt, t0 + ENROL_TTL_MS);

    const out = await startAdminSession(db, "adm_1", "link", t0);
    await endAdminSession(db, out.token);
    assert.equal(await resumeAdminSession(db, out.token, t0 + 1), null);
    assert.equal(await resumeAdminSession(db, "x".repeat(43), t0 + 1), null);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("login links: single use, 10 minutes, racing redemptions get one admin", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const t0 = 5_000_000;
    const { token, expiresAt } = await createLoginLink(db, "adm_1", t0);
    assert.equal(expiresAt, t0 + LOGIN_LINK_TTL_MS);
    const both = await Promise.all([
      redeemLoginLink(db, token, t0 + 1),
      redeemLoginLink(db, token, t0 + 1),
    ]);
    assert.deepEqual(both.filter(Boolean), ["adm_1"]);
    const late = await createLoginLink(db, "adm_1", t0);
    assert.equal(await redeemLoginLink(db, late.token, t0 + LOGIN_LINK_TTL_MS), null);
    assert.equal(await redeemLoginLink(db, "nope", t0), null);
  } finally {
    await temp.cleanup();
  }
});
