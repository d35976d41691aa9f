import assert from "node:assert/strict";
import { rateCounters } from "../db/schema.ts";
import { openSecondDatabase, openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { failedKeyLimits, lockoutKey } from "./key_lockout.ts";
import { SharedKeyLockout } from "./shared_key_lockout.ts";

const LIMITS = { maxFailures: 3, windowMs: 60_000, maxAddresses: 100 };

async function withDb(run: (temp: Awaited<ReturnType<typeof openTempAppliance>>) => Promise<void>) {
  const temp = await openTempAppliance();
  try {
    await run(temp);
  } finally {
    await temp.cleanup();
  }
}

const reserved = async (lockout: SharedKeyLockout, address: string, now: number) =>
  (await lockout.reserve(address, now)).lockedForS;

Deno.test("shared key lockout: locked out past maxFailures until the window ends", async () => {
  await withDb(async (temp) => {
    const lockout = new SharedKeyLockout({ db: temp.appliance.database.db, limits: LIMITS });
    for (let i = 0; i < 3; i++) assert.equal(await reserved(lockout, "192.0.2.1", 1_000 + i), null);
    assert.equal(lockout.retryAfterS("192.0.2.1", 1_500), null, "not known here until refused");
    assert.equal(await reserved(lockout, "192.0.2.1", 1_500), 60);
    assert.equal(lockout.retryAfterS("192.0.2.1", 60_000), 1, "now known: no round trip");
    assert.equal(await reserved(lockout, "192.0.2.2", 1_500), null, "other addresses");
    assert.equal(await reserved(lockout, "192.0.2.1", 61_000), null, "the window ended");
    assert.equal(lockout.retryAfterS("192.0.2.1", 61_001), null, "a new window starts from one");
  });
});

Deno.test("shared key lockout: two nodes on one database share one count", async () => {
  await withDb(async (temp) => {
    const second = await openSecondDatabase(temp.appliance.config);
    try {
      const a = new SharedKeyLockout({ db: temp.appliance.database.db, limits: LIMITS });
      const b = new SharedKeyLockout({ db: second.db, limits: LIMITS });
      assert.equal(await reserved(a, "192.0.2.1", 1_000), null);
      assert.equal(await reserved(b, "192.0.2.1", 2_000), null);
      assert.equal(await reserved(a, "192.0.2.1", 3_000), null);
      // The window started at the first failure, on the other node: both say the same.
      assert.equal(await reserved(b, "192.0.2.1", 4_000), 57);
      assert.equal(await reserved(a, "192.0.2.1", 4_000), 57);
    } finally {
      second.close();
    }
  });
});

Deno.test("shared key lockout: a check that passed gives its failure back", async () => {
  await withDb(async (temp) => {
    const lockout = new SharedKeyLockout({ db: temp.appliance.database.db, limits: LIMITS });
    for (let i = 0; i < 5; i++) {
      const reservation = await lockout.reserve("192.0.2.1", 1_000);
      assert.equal(reservation.lockedForS, null, `good check ${i}`);
      if (reservation.lockedForS === null) reservation.giveBack();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [row] = await temp.appliance.database.db.select().from(rateCounters);
    assert.equal(row.count, 0);
  });
});

Deno.test("shared key lockout: an IPv6 client counts as its /64; the row names the address, not the key", async () => {
  assert.equal(lockoutKey("2001:db8:1:2::1"), lockoutKey("2001:db8:1:2:ffff::9"));
  assert.notEqual(lockoutKey("2001:db8:1:2::1"), lockoutKey("2001:db8:1:3::1"));
  assert.equal(lockoutKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(lockoutKey("unknown"), "unknown");
  await withDb(async (temp) => {
    const lockout = new SharedKeyLockout({ db: temp.appliance.database.db, limits: LIMITS });
    for (const address of ["2001:db8::1", "2001:db8::2", "2001:db8::3"]) {
      await lockout.reserve(address, 0);
    }
    assert.equal(await reserved(lockout, "2001:db8::4", 0), 60);
    const rows = await temp.appliance.database.db.select().from(rateCounters);
    assert.deepEqual(rows.map((r) => r.key), ["api-key-failures:20010db800000000/64"]);
  });
});

Deno.test("shared key lockout: a lockout is announced once, and listed for an isolate that starts late", async () => {
  await withDb(async (temp) => {
    const locked: [string, number][] = [];
    const lockout = new SharedKeyLockout({
      db: temp.appliance.database.db,
      limits: { maxFailures: 1, windowMs: 10_000, maxAddresses: 10 },
      onLocked: (key, until) => locked.push([key, until]),
    });
    await lockout.reserve("192.0.2.1", 1_000);
    assert.deepEqual(locked, []);
    assert.equal((await lockout.count("192.0.2.1", 2_000) as { until: number }).until, 11_000);
    assert.equal((await lockout.count("192.0.2.1", 3_000) as { until: number }).until, 11_000);
    assert.deepEqual(locked, [["192.0.2.1", 11_000]], "announced once");
    assert.deepEqual(lockout.activeLockouts(3_000), [{ key: "192.0.2.1", until: 11_000 }]);
    assert.deepEqual(lockout.activeLockouts(11_000), []);
  });
});

Deno.test("shared key lockout: [auth_lockout] as the lockout counts it", () => {
  assert.deepEqual(failedKeyLimits({ max_failures: 5, window_s: 30, max_addresses: 100 }), {
    maxFailures: 5,
    windowMs: 30_000,
    maxAddresses: 100,
  });
});
