import assert from "node:assert/strict";
import { FailedKeyLimiter, failedKeyLimits, lockoutKey } from "./failed_key_limiter.ts";

Deno.test("failed key limiter: locked out past maxFailures until the window ends", () => {
  const limiter = new FailedKeyLimiter({ maxFailures: 3, windowMs: 60_000, maxAddresses: 100 });
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.retryAfterS("192.0.2.1", 1_000), null);
    limiter.fail("192.0.2.1", 1_000 + i);
  }
  assert.equal(limiter.retryAfterS("192.0.2.1", 1_500), 60);
  assert.equal(limiter.retryAfterS("192.0.2.1", 60_000), 1);
  assert.equal(limiter.retryAfterS("192.0.2.2", 1_500), null, "other addresses are not affected");
  assert.equal(limiter.retryAfterS("192.0.2.1", 61_000), null, "the window ended");
  limiter.fail("192.0.2.1", 61_000);
  assert.equal(limiter.retryAfterS("192.0.2.1", 61_001), null, "a new window starts from one");
});

Deno.test("failed key limiter: memory is bounded, the oldest window is forgotten", () => {
  const limiter = new FailedKeyLimiter({ maxFailures: 1, windowMs: 60_000, maxAddresses: 50 });
  for (let i = 0; i < 5_000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, i);
  assert.equal(limiter.tracked, 50);
  assert.equal(limiter.retryAfterS("10.0.0.0", 5_000), null, "forgotten");
  assert.notEqual(limiter.retryAfterS("10.0.19.135", 5_000), null, "the newest is kept");
});

Deno.test("failed key limiter: an IPv6 client counts as its /64, mapped IPv4 as IPv4", () => {
  assert.equal(lockoutKey("2001:db8:1:2::1"), lockoutKey("2001:db8:1:2:ffff::9"));
  assert.notEqual(lockoutKey("2001:db8:1:2::1"), lockoutKey("2001:db8:1:3::1"));
  assert.equal(lockoutKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(lockoutKey("unknown"), "unknown");
  const limiter = new FailedKeyLimiter({ maxFailures: 2, windowMs: 60_000, maxAddresses: 10 });
  limiter.fail("2001:db8::1", 0);
  limiter.fail("2001:db8::2", 0);
  assert.notEqual(limiter.retryAfterS("2001:db8::3", 0), null);
});

Deno.test("failed key limiter: a failure from a locked-out address is not counted, and says how long", () => {
  const locked: [string, number][] = [];
  const limiter = new FailedKeyLimiter(
    { maxFailures: 2, windowMs: 60_000, maxAddresses: 10 },
    (key, until) => locked.push([key, until]),
  );
  assert.equal(limiter.fail("192.0.2.1", 1_000), null);
  assert.deepEqual(locked, []);
  assert.equal(limiter.count("192.0.2.1", 2_000), null, "the second failure is still answered");
  assert.deepEqual(locked, [["192.0.2.1", 61_000]], "announced once, when it locks");
  // Another isolate's check raced the lockout: its failure is answered with the lockout.
  assert.equal(limiter.count("192.0.2.1", 3_000), 61_000);
  assert.equal(limiter.fail("192.0.2.1", 30_500), 31);
  assert.equal(locked.length, 1, "not announced again");
  assert.equal(limiter.fail("192.0.2.1", 61_000), null, "a new window");
});

Deno.test("failed key limiter: with max_failures = 1 the first failure locks", () => {
  const locked: string[] = [];
  const limiter = new FailedKeyLimiter(
    { maxFailures: 1, windowMs: 10_000, maxAddresses: 10 },
    (key) => locked.push(key),
  );
  assert.equal(limiter.fail("2001:db8::1", 0), null);
  assert.deepEqual(locked, [lockoutKey("2001:db8::1")]);
  assert.equal(limiter.retryAfterS("2001:db8::2", 1), 10);
});

Deno.test("failed key limiter: the lockouts in force, for an isolate that starts late", () => {
  const limiter = new FailedKeyLimiter({ maxFailures: 2, windowMs: 60_000, maxAddresses: 10 });
  assert.deepEqual(limiter.activeLockouts(0), []);
  limiter.fail("192.0.2.1", 0);
  limiter.fail("192.0.2.1", 1_000);
  limiter.fail("192.0.2.2", 1_000);
  limiter.fail("2001:db8::1", 2_000);
  limiter.fail("2001:db8::2", 3_000);
  assert.deepEqual(limiter.activeLockouts(3_000), [
    { key: "192.0.2.1", until: 60_000 },
    { key: lockoutKey("2001:db8::1"), until: 62_000 },
  ]);
  assert.deepEqual(limiter.activeLockouts(61_000), [{
    key: lockoutKey("2001:db8::1"),
    until: 62_000,
  }]);
  assert.deepEqual(limiter.activeLockouts(62_000), []);
});

Deno.test("failed key limiter: [auth_lockout] as the limiter counts it", () => {
  assert.deepEqual(failedKeyLimits({ max_failures: 5, window_s: 30, max_addresses: 100 }), {
    maxFailures: 5,
    windowMs: 30_000,
    maxAddresses: 100,
  });
});
