import type { MetricsSample } from "./metrics_history.ts";

/**
 * What a stat card shows: the mean over the last minute of samples (rates),
 * or the latest value there is (latencies, error share); "—" without data.
 */
export function recentValue(
  samples: readonly MetricsSample[],
  key: "requestsPerS" | "errorRate" | "p50Ms" | "p99Ms",
  now: number,
): string {
  const recent = samples.filter((s) => s.at > now - 60_000);
  if (key === "requestsPerS") {
    if (recent.length === 0) return "—";
    const mean = recent.reduce((sum, s) => sum + s.requestsPerS, 0) / recent.length;
    return String(Math.round(mean * 100) / 100);
  }
  const last = recent.findLast((s) => s[key] !== null)?.[key] ?? null;
  if (last === null) return "—";
  return key === "errorRate" ? `${(last * 100).toFixed(1)} %` : String(last);
}
