import assert from "node:assert/strict";
import { refreshDue, refreshDueAt } from "./refresh_timing.ts";

const SKEW = 60_000;

Deno.test("refresh timing: a long-lived token refreshes the full skew before expiry", () => {
  assert.equal(refreshDueAt({ expiresAt: 3_600_000, obtainedAt: 0 }, SKEW), 3_540_000);
});

Deno.test("refresh timing: a token shorter-lived than the skew keeps three quarters of its life", () => {
  const credential = { expiresAt: 10_000, obtainedAt: 2_000 };
  assert.equal(refreshDueAt(credential, SKEW), 8_000);
  assert.equal(refreshDue(credential, SKEW, 7_999), false);
  assert.equal(refreshDue(credential, SKEW, 8_000), true);
});

Deno.test("refresh timing: without a known lifetime the full skew applies", () => {
  assert.equal(refreshDueAt({ expiresAt: 10_000 }, SKEW), 10_000 - SKEW);
  assert.equal(refreshDueAt({ expiresAt: 10_000, obtainedAt: null }, SKEW), 10_000 - SKEW);
  // A nonsensical obtainedAt (after the expiry) is ignored rather than trusted.
  assert.equal(refreshDueAt({ expiresAt: 10_000, obtainedAt: 20_000 }, SKEW), 10_000 - SKEW);
});

Deno.test("refresh timing: an unknown expiry is never due (refresh on 401 instead)", () => {
  assert.equal(refreshDueAt({ expiresAt: null, obtainedAt: 5 }, SKEW), null);
  assert.equal(refreshDue({ expiresAt: null }, SKEW, Number.MAX_SAFE_INTEGER), false);
});
