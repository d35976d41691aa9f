import assert from "node:assert/strict";
import { recentValue } from "./recent_value.ts";

Deno.test("recentValue: mean rate over the last minute, latest latency, — without data", () => {
  const sample = (at: number, rps: number, p50: number | null) => ({
    at,
    requestsPerS: rps,
    errorRate: null,
    p50Ms: p50,
    p99Ms: null,
    refreshes: 0,
    webhookQueue: 0,
  });
  const samples = [sample(0, 100, 5), sample(70_000, 2, 7), sample(80_000, 4, null)];
  assert.equal(recentValue(samples, "requestsPerS", 90_000), "3");
  assert.equal(recentValue(samples, "p50Ms", 90_000), "7");
  assert.equal(recentValue(samples, "errorRate", 90_000), "—");
  assert.equal(recentValue([], "requestsPerS", 90_000), "—");
});
