import assert from "node:assert/strict";
import { asc } from "drizzle-orm";
import { rateCounters } from "../db/schema.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import {
  addAttempt,
  clockWindow,
  pruneAttempts,
  reserveAttempt,
  sessionWindow,
} from "./attempt_counter.ts";

const MINUTE = 60_000;

Deno.test("attempt counter: pruning deletes counters whose window has ended and keeps live ones", async () => {
  const temp = await openTempAppliance();
  try {
    const db = temp.appliance.database.db;
    const now = Math.ceil(Date.now() / (15 * MINUTE)) * 15 * MINUTE + 3 * MINUTE;
    const session = (createdAt: number) =>
      sessionWindow({ createdAt, expiresAt: createdAt + 10 * MINUTE });
    // Ended: last quarter hour's address counter, a session that ended long ago, and a
    // pre-upgrade row of the per-code counter (its "whole life" window then started at 0).
    await addAttempt(db, "device-code-failures:old", clockWindow(15 * MINUTE, now - 15 * MINUTE));
    await addAttempt(db, "credential-form:ses_old", session(now - 60 * MINUTE));
    await addAttempt(db, "device-code-entries:ses_legacy", {
      start: 0,
      ms: Number.MAX_SAFE_INTEGER,
    });
    // Live: this quarter hour's address counter, a session started a minute ago.
    await addAttempt(db, "device-code-failures:live", clockWindow(15 * MINUTE, now));
    await addAttempt(db, "credential-form:ses_live", session(now - MINUTE));
    await addAttempt(db, "credential-form:ses_live", session(now - MINUTE));

    assert.equal(await pruneAttempts(db, now, 15 * MINUTE), 3);
    const left = await db.select().from(rateCounters).orderBy(asc(rateCounters.key));
    assert.deepEqual(left.map((r) => [r.key, r.count]), [
      ["credential-form:ses_live", 2],
      ["device-code-failures:live", 1],
    ]);
    // The live counts go on where they were.
    assert.equal(await addAttempt(db, "credential-form:ses_live", session(now - MINUTE)), 3);
    assert.equal(
      await reserveAttempt(db, "device-code-failures:live", clockWindow(15 * MINUTE, now), 2),
      2,
    );
    assert.equal(await pruneAttempts(db, now, 15 * MINUTE), 0, "nothing more to prune");
  } finally {
    await temp.cleanup();
  }
});
