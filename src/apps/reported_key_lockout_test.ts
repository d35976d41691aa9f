import assert from "node:assert/strict";
import type { SecurixError } from "../errors/securix_error.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { lockoutKey } from "./key_lockout.ts";
import { ReportedKeyLockout } from "./reported_key_lockout.ts";
import { SharedKeyLockout } from "./shared_key_lockout.ts";

/** Two isolates' copies reporting to one count, as serving isolates report to the main one. */
async function isolates(maxFailures: number, now: () => number) {
  const temp = await openTempAppliance();
  const copies: ReportedKeyLockout[] = [];
  const counter = new SharedKeyLockout({
    db: temp.appliance.database.db,
    limits: { maxFailures, windowMs: 60_000, maxAddresses: 100 },
    onLocked: (key, until) => copies.forEach((copy) => copy.lock(key, until)),
  });
  for (let i = 0; i < 2; i++) {
    copies.push(
      new ReportedKeyLockout({
        report: (address) => counter.count(address, now()),
        giveBack: (address, windowStart) => counter.giveBack(address, windowStart),
        maxAddresses: 100,
      }),
    );
  }
  return { copies, counter, cleanup: temp.cleanup };
}

Deno.test("reported key lockout: failures in two isolates add up to one lockout", async () => {
  const { copies: [a, b], cleanup } = await isolates(4, () => 1_000);
  try {
    for (const copy of [a, b, a, b]) {
      assert.equal(copy.retryAfterS("192.0.2.1", 1_000), null);
      assert.equal((await copy.reserve("192.0.2.1", 1_000)).lockedForS, null);
    }
    // The fifth is refused where it is asked, and every copy is told.
    assert.equal((await a.reserve("192.0.2.1", 1_000)).lockedForS, 60);
    assert.equal(b.retryAfterS("192.0.2.1", 31_000), 30);
    assert.equal(a.retryAfterS("192.0.2.2", 1_000), null, "other addresses are not affected");
    assert.equal(a.retryAfterS("192.0.2.1", 61_000), null, "the window ended");
    assert.equal(a.tracked, 0, "an ended lockout is forgotten");
  } finally {
    await cleanup();
  }
});

Deno.test("reported key lockout: a check that passed gives its failure back through the counter", async () => {
  const { copies: [a, b], cleanup } = await isolates(2, () => 1_000);
  try {
    const first = await a.reserve("192.0.2.1", 1_000);
    assert.equal(first.lockedForS, null);
    if (first.lockedForS === null) first.giveBack();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the give-back is off the request path
    assert.equal((await b.reserve("192.0.2.1", 1_000)).lockedForS, null);
    assert.equal((await a.reserve("192.0.2.1", 1_000)).lockedForS, null, "two of two");
    assert.equal((await b.reserve("192.0.2.1", 1_000)).lockedForS, 60);
  } finally {
    await cleanup();
  }
});

Deno.test("reported key lockout: memory is bounded", () => {
  const copy = new ReportedKeyLockout({
    report: () => Promise.reject(new Error("the main isolate did not answer")),
    giveBack: () => {},
    maxAddresses: 3,
  });
  for (let i = 0; i < 10; i++) copy.lock(lockoutKey(`192.0.2.${i}`), 60_000);
  assert.equal(copy.tracked, 3);
  assert.equal(copy.retryAfterS("192.0.2.0", 0), null, "the oldest is forgotten");
  assert.equal(copy.retryAfterS("192.0.2.9", 0), 60);
});

Deno.test("reported key lockout: once every lockout has ended the copy is empty again", () => {
  const copy = new ReportedKeyLockout({
    report: () => Promise.resolve({ windowStart: 0 }),
    giveBack: () => {},
    maxAddresses: 10,
  });
  copy.lock(lockoutKey("192.0.2.1"), 60_000);
  copy.lock(lockoutKey("192.0.2.2"), 30_000);
  assert.equal(copy.retryAfterS("198.51.100.1", 40_000), null);
  assert.equal(copy.tracked, 2, "one still in force");
  assert.equal(copy.retryAfterS("198.51.100.1", 61_000), null);
  assert.equal(copy.tracked, 0, "the shortcut before any parsing holds again");
  copy.lock(lockoutKey("192.0.2.3"), 90_000);
  assert.equal(copy.retryAfterS("192.0.2.3", 61_000), 29);
});

Deno.test("reported key lockout: a count out of reach refuses the check (503), never lets the key be checked uncounted", async () => {
  const lockout = new ReportedKeyLockout({
    report: () => Promise.reject(new Error("timed out")),
    giveBack: () => {},
    maxAddresses: 10,
  });
  await assert.rejects(
    () => lockout.reserve("192.0.2.1", Date.now()),
    (error: SecurixError) => error.code === "SX-UNAVAILABLE" && error.status === 503,
  );
});
