import assert from "node:assert/strict";
import { BUCKETS, SlidingWindow } from "./sliding_window.ts";

Deno.test("sliding window: counts within the window, forgets what slid out", () => {
  const w = new SlidingWindow(60_000);
  assert.equal(w.bucketMs, 60_000 / BUCKETS);
  const t0 = 1_000_000_000_000;
  for (let i = 0; i < 100; i++) w.add(t0 + i * 100, 1);
  assert.equal(w.sum(t0 + 10_000), 100);
  w.add(t0 + 30_000, 5);
  assert.equal(w.sum(t0 + 30_000), 105);
  // 62 s after the last of the first calls they have left; the later 5 remain.
  assert.equal(w.sum(t0 + 72_000), 5);
  assert.equal(w.sum(t0 + 95_000), 0);
  assert.ok(w.idle(t0 + 95_000) === false, "unshared counts keep it until shared");
  w.takeDeltas(() => {});
  assert.ok(w.idle(t0 + 95_000));
});

Deno.test("sliding window: a ring slot reused for a later bucket starts afresh", () => {
  const w = new SlidingWindow(30_000);
  const t0 = 1_000_000_000_000;
  w.add(t0, 7);
  // Exactly one ring turn later: the same slot, a new bucket.
  w.add(t0 + BUCKETS * w.bucketMs, 2);
  assert.equal(w.sum(t0 + BUCKETS * w.bucketMs), 2);
});

Deno.test("sliding window: shares deltas once and adds the other processes' counts", () => {
  const w = new SlidingWindow(60_000);
  const t0 = 1_000_000_000_000;
  w.add(t0, 40);
  const taken: [number, number][] = [];
  w.takeDeltas((bucket, delta) => taken.push([bucket, delta]));
  assert.deepEqual(taken, [[Math.floor(t0 / w.bucketMs) * w.bucketMs, 40]]);
  assert.equal(w.dirty, false);
  w.takeDeltas(() => assert.fail("nothing new to share"));
  // The database has 120 in that bucket: ours (40) and 80 from elsewhere.
  w.setTotal(taken[0][0], 120, t0 + 500);
  assert.equal(w.sum(t0 + 500), 120);
  // Counted here after the share: added on top, shared next time.
  w.add(t0 + 600, 3);
  assert.equal(w.sum(t0 + 600), 123);
  const again: number[] = [];
  w.takeDeltas((_b, d) => again.push(d));
  assert.deepEqual(again, [3]);
  // A total for a bucket outside the window is ignored.
  w.setTotal(t0 - 120_000, 1_000, t0 + 600);
  assert.equal(w.sum(t0 + 600), 123);
  w.reset();
  assert.equal(w.sum(t0 + 600), 0);
});
