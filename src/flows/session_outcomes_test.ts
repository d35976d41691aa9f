import assert from "node:assert/strict";
import { createApp } from "../apps/app_store.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { observeSessions, reportSession, type SessionOutcome } from "./session_outcomes.ts";
import { endSession, expireSessions, insertSession, loadSession } from "./session_store.ts";

Deno.test("session outcomes: each ended session is reported once, per database, after commit", async () => {
  const clock = { t: Date.now() };
  const one = await openTempAppliance({ now: () => clock.t });
  const two = await openTempAppliance({ now: () => clock.t });
  try {
    const { database } = one.appliance;
    const seen: [string, SessionOutcome][] = [];
    const elsewhere: [string, SessionOutcome][] = [];
    observeSessions(database, () => {
      throw new Error("a broken observer never fails a flow");
    });
    observeSessions(database, (flow, outcome) => seen.push([flow, outcome]));
    observeSessions(two.appliance.database, (flow, outcome) => elsewhere.push([flow, outcome]));
    const app = await createApp(database.db, { name: "a", origins: [] }, { now: () => clock.t });
    const open = (id: string, flow: "popup" | "device", ttl: number) =>
      insertSession(database.db, {
        id,
        appId: app.id,
        entityId: "e",
        flow,
        providers: { gmail: { scopes: [], status: "pending" } },
        sxcHash: null,
        targetOrigin: null,
        returnUrl: null,
        deviceCodeHash: null,
        pollIntervalS: null,
        createdAt: clock.t,
        expiresAt: clock.t + ttl,
      });
    const failed = await open("ses_failed", "popup", 60_000);
    await open("ses_lazy", "device", 1_000);
    await open("ses_swept", "device", 1_000);

    assert.equal(await endSession(database, failed, "failed", "user_cancelled", clock.t), true);
    assert.equal(await endSession(database, failed, "failed", "user_cancelled", clock.t), false);
    clock.t += 2_000;
    assert.equal((await loadSession(database, "ses_lazy", clock.t))?.status, "expired");
    assert.deepEqual(await expireSessions(database, clock.t), ["ses_swept"]);
    assert.deepEqual(await expireSessions(database, clock.t), []);

    assert.deepEqual(seen, [["popup", "failed"], ["device", "expired"], ["device", "expired"]]);
    reportSession(database, "device", "created");
    assert.deepEqual(seen.at(-1), ["device", "created"]);
    assert.deepEqual(elsewhere, [], "another database's observer saw nothing");
  } finally {
    await one.cleanup();
    await two.cleanup();
  }
});
