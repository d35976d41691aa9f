import assert from "node:assert/strict";
import { portalLinks, portalSessions } from "../db/schema.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import {
  createPortalLink,
  peekPortalLink,
  PORTAL_LINK_TTL_MS,
  redeemPortalLink,
} from "./portal_link_store.ts";
import {
  endPortalSession,
  findPortalSession,
  PORTAL_SESSION_IDLE_MS,
  PORTAL_SESSION_TTL_MS,
  resumePortalSession,
  startPortalSession,
} from "./portal_session_store.ts";

const WHO = { appId: "app_1", entityId: "alice", returnUrl: null };

Deno.test("portal links: digests only, once, within 10 minutes; racing redeems get one session", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const t0 = 1_000_000;
    const { token } = await createPortalLink(db, WHO, t0);
    const [row] = await db.select().from(portalLinks);
    assert.notEqual(row.digest, token);
    assert.ok(!JSON.stringify(row).includes(token));
    const both = await Promise.all([
      redeemPortalLink(db, token, t0),
      redeemPortalLink(db, token, t0),
    ]);
    assert.equal(both.filter((r) => r.ok).length, 1);
    assert.deepEqual(both.find((r) => !r.ok), { ok: false, reason: "used" });
    const late = await createPortalLink(db, WHO, t0);
    assert.deepEqual(await redeemPortalLink(db, late.token, t0 + PORTAL_LINK_TTL_MS), {
      ok: false,
      reason: "expired",
    });
    assert.deepEqual(await redeemPortalLink(db, "made-up", t0), { ok: false, reason: "unknown" });
    assert.deepEqual(await redeemPortalLink(db, "", t0), { ok: false, reason: "unknown" });
  } finally {
    await temp.cleanup();
  }
});

Deno.test("portal sessions: stored as digests; end when idle, at 4 h, or signed out", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const t0 = 1_000_000;
    const { token, session } = await startPortalSession(db, WHO, t0);
    const [row] = await db.select().from(portalSessions);
    assert.notEqual(row.digest, token);
    assert.equal((await resumePortalSession(db, token, t0 + 60_000))?.id, session.id);
    assert.equal(await resumePortalSession(db, token, t0 + 60_000 + PORTAL_SESSION_IDLE_MS), null);
    // Kept alive, it still ends at its lifetime.
    const kept = await startPortalSession(db, WHO, t0);
    for (let t = t0; t < t0 + PORTAL_SESSION_TTL_MS; t += PORTAL_SESSION_IDLE_MS / 2) {
      assert.ok(await resumePortalSession(db, kept.token, t));
    }
    assert.equal(await resumePortalSession(db, kept.token, t0 + PORTAL_SESSION_TTL_MS), null);
    const other = await startPortalSession(db, WHO, t0);
    await endPortalSession(db, other.token);
    assert.equal(await resumePortalSession(db, other.token, t0), null);
    assert.equal(await resumePortalSession(db, "", t0), null);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("portal links: a peek says what redeeming would, and uses nothing", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const t0 = 1_000_000;
    const { token } = await createPortalLink(db, WHO, t0);
    const open = { ok: true, ...WHO };
    assert.deepEqual(await peekPortalLink(db, token, t0), open);
    assert.deepEqual(await peekPortalLink(db, token, t0), open, "a second peek: still unused");
    assert.deepEqual(await peekPortalLink(db, token, t0 + PORTAL_LINK_TTL_MS), {
      ok: false,
      reason: "expired",
    });
    assert.deepEqual(await redeemPortalLink(db, token, t0), open);
    assert.deepEqual(await peekPortalLink(db, token, t0), { ok: false, reason: "used" });
    assert.deepEqual(await peekPortalLink(db, "made-up", t0), { ok: false, reason: "unknown" });
  } finally {
    await temp.cleanup();
  }
});

Deno.test("portal sessions: finding one reads it without restarting its idle clock", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const t0 = 1_000_000;
    const { token, session } = await startPortalSession(db, WHO, t0);
    const late = t0 + PORTAL_SESSION_IDLE_MS - 1;
    assert.equal((await findPortalSession(db, token, late))?.id, session.id);
    assert.equal(await findPortalSession(db, token, t0 + PORTAL_SESSION_IDLE_MS), null, "idle");
    assert.equal(await findPortalSession(db, "", t0), null);
  } finally {
    await temp.cleanup();
  }
});
