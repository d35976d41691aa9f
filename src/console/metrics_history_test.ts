import assert from "node:assert/strict";
import { bucketQuantile, MetricsHistory, sampleBetween } from "./metrics_history.ts";
import type { MetricsTotals } from "./metrics_totals.ts";

const totals = (requests: number, errors: number, buckets: [number, number][]): MetricsTotals => ({
  requests,
  errors,
  latencyBuckets: buckets,
  refreshes: 0,
  webhookQueue: 0,
});

Deno.test("bucketQuantile interpolates inside the bucket of the interval's requests", () => {
  const before: [number, number][] = [[0.01, 10], [0.1, 10], [Infinity, 10]];
  // 100 new requests: 50 under 10 ms, 50 between 10 and 100 ms.
  const after: [number, number][] = [[0.01, 60], [0.1, 110], [Infinity, 110]];
  assert.equal(bucketQuantile(before, after, 0.5), 0.01);
  assert.ok(Math.abs(bucketQuantile(before, after, 0.99)! - 0.0982) < 1e-9);
  assert.equal(bucketQuantile(after, after, 0.5), null);
});

Deno.test("sampleBetween: rates per second, 5xx share, nothing negative after a reset", () => {
  const s = sampleBetween(
    totals(100, 0, [[0.1, 100], [Infinity, 100]]),
    totals(300, 20, [[0.1, 300], [Infinity, 300]]),
    10_000,
    10_000,
  );
  assert.equal(s.requestsPerS, 20);
  assert.equal(s.errorRate, 0.1);
  const quiet = sampleBetween(totals(5, 1, []), totals(5, 1, []), 0, 10_000);
  assert.equal(quiet.errorRate, null);
  assert.equal(quiet.p50Ms, null);
});

Deno.test("MetricsHistory keeps at most its capacity, oldest out first", async () => {
  let t = 0, n = 0;
  const history = new MetricsHistory({
    read: () => Promise.resolve(totals(n += 10, 0, [])),
    now: () => (t += 1000),
    capacity: 3,
  });
  for (let i = 0; i < 6; i++) await history.sample();
  const samples = history.samples();
  assert.equal(samples.length, 3);
  assert.deepEqual(samples.map((s) => s.at), [4000, 5000, 6000]);
  assert.ok(samples.every((s) => s.requestsPerS === 10));
});
