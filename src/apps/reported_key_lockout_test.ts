import assert from "node:assert/strict";
import { FailedKeyLimiter, lockoutKey } from "./failed_key_limiter.ts";
import { ReportedKeyLockout } from "./reported_key_lockout.ts";

/** Two isolates' copies reporting to one count, as serving isolates report to the main one. */
function isolates(maxFailures: number) {
  const copies: ReportedKeyLockout[] = [];
  const counter = new FailedKeyLimiter(
    { maxFailures, windowMs: 60_000, maxAddresses: 100 },
    (key, until) => copies.forEach((copy) => copy.lock(key, until)),
  );
  const now = 1_000;
  for (let i = 0; i < 2; i++) {
    copies.push(
      new ReportedKeyLockout({
        report: (address) => Promise.resolve(counter.count(address, now)),
        maxAddresses: 100,
      }),
    );
  }
  return { copies, counter };
}

Deno.test("reported key lockout: failures in two isolates add up to one lockout", async () => {
  const { copies: [a, b] } = isolates(4);
  for (const copy of [a, b, a]) {
    assert.equal(copy.retryAfterS("192.0.2.1", 1_000), null);
    assert.equal(await copy.fail("192.0.2.1", 1_000), null);
  }
  assert.equal(b.retryAfterS("192.0.2.1", 1_000), null, "three of four");
  assert.equal(await b.fail("192.0.2.1", 1_000), null, "the fourth is still answered");
  // Both copies refuse it now, without asking.
  assert.equal(a.retryAfterS("192.0.2.1", 1_000), 60);
  assert.equal(b.retryAfterS("192.0.2.1", 31_000), 30);
  assert.equal(a.retryAfterS("192.0.2.2", 1_000), null, "other addresses are not affected");
  assert.equal(a.retryAfterS("192.0.2.1", 61_000), null, "the window ended");
  assert.equal(a.tracked, 0, "an ended lockout is forgotten");
});

Deno.test("reported key lockout: a copy that missed the announcement learns it from its next report", async () => {
  const counter = new FailedKeyLimiter({ maxFailures: 1, windowMs: 60_000, maxAddresses: 10 });
  const copy = new ReportedKeyLockout({
    report: (address) => Promise.resolve(counter.count(address, 5_000)),
    maxAddresses: 10,
  });
  counter.fail("2001:db8::1", 0); // counted in another isolate; no announcement reached this one
  assert.equal(copy.retryAfterS("2001:db8::2", 5_000), null);
  assert.equal(await copy.fail("2001:db8::2", 5_000), 55, "the same /64, locked out already");
  assert.equal(copy.retryAfterS("2001:db8::3", 5_000), 55);
});

Deno.test("reported key lockout: an unreachable count refuses nothing more; memory is bounded", async () => {
  const copy = new ReportedKeyLockout({
    report: () => Promise.reject(new Error("the main isolate did not answer")),
    maxAddresses: 3,
  });
  assert.equal(await copy.fail("192.0.2.1", 0), null);
  for (let i = 0; i < 10; i++) copy.lock(lockoutKey(`192.0.2.${i}`), 60_000);
  assert.equal(copy.tracked, 3);
  assert.equal(copy.retryAfterS("192.0.2.0", 0), null, "the oldest is forgotten");
  assert.equal(copy.retryAfterS("192.0.2.9", 0), 60);
});

Deno.test("reported key lockout: once every lockout has ended the copy is empty again", () => {
  const copy = new ReportedKeyLockout({ report: () => Promise.resolve(null), maxAddresses: 10 });
  copy.lock(lockoutKey("192.0.2.1"), 60_000);
  copy.lock(lockoutKey("192.0.2.2"), 30_000);
  assert.equal(copy.retryAfterS("198.51.100.1", 40_000), null);
  assert.equal(copy.tracked, 2, "one still in force");
  assert.equal(copy.retryAfterS("198.51.100.1", 61_000), null);
  assert.equal(copy.tracked, 0, "the shortcut before any parsing holds again");
  copy.lock(lockoutKey("192.0.2.3"), 90_000);
  assert.equal(copy.retryAfterS("192.0.2.3", 61_000), 29);
});
