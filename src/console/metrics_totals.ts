import type { ApplianceMetrics } from "../metrics/appliance_metrics.ts";

/** Running totals read from this process's metrics; the history turns two of them into rates. */
export interface MetricsTotals {
  requests: number;
  /** Proxied answers with a 5xx status (upstream or appliance failures). */
  errors: number;
  /** Cumulative latency histogram over all providers: upper bound (s) → count. */
  latencyBuckets: [number, number][];
  refreshes: number;
  webhookQueue: number;
}

/** Reads the totals from the prom-client registry the /metrics listener serves. */
export async function readTotals(metrics: ApplianceMetrics): Promise<MetricsTotals> {
  let requests = 0, errors = 0, refreshes = 0;
  for (const v of (await metrics.proxyRequests.get()).values) {
    requests += v.value;
    if (String(v.labels.status).startsWith("5")) errors += v.value;
  }
  for (const v of (await metrics.refreshes.get()).values) refreshes += v.value;
  const buckets = new Map<number, number>();
  for (const v of (await metrics.proxyLatency.get()).values) {
    if (v.metricName !== "securix_proxy_duration_seconds_bucket") continue;
    const bound = (v.labels as Record<string, string | number | undefined>).le;
    const le = bound === "+Inf" ? Infinity : Number(bound);
    buckets.set(le, (buckets.get(le) ?? 0) + v.value);
  }
  const queue = (await metrics.webhookQueueDepth.get()).values[0]?.value ?? 0;
  return {
    requests,
    errors,
    latencyBuckets: [...buckets].sort((a, b) => a[0] - b[0]),
    refreshes,
    webhookQueue: queue,
  };
}
