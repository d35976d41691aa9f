import type { MetricsTotals } from "./metrics_totals.ts";

/** One point of the overview's charts: what happened between two samples. */
export interface MetricsSample {
  /** End of the interval, Unix ms. */
  at: number;
  requestsPerS: number;
  /** Share of proxied answers that were 5xx, 0–1; null with no requests. */
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  refreshes: number;
  webhookQueue: number;
}

/**
 * The quantile `q` of the requests counted between two cumulative
 * histograms, interpolated linearly inside its bucket (as Prometheus'
 * histogram_quantile does); null with no requests.
 */
export function bucketQuantile(
  before: [number, number][],
  after: [number, number][],
  q: number,
): number | null {
  const prior = new Map(before);
  const deltas = after.map(([le, count]) => [le, count - (prior.get(le) ?? 0)] as const);
  const total = deltas.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0, below = 0;
  for (const [le, count] of deltas) {
    if (count >= rank) {
      // Past the last finite bound there is nothing to interpolate towards.
      if (le === Infinity) return lower;
      const inBucket = count - below;
      return inBucket <= 0 ? le : lower + (le - lower) * ((rank - below) / inBucket);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** The point between two readings `dtMs` apart. */
export function sampleBetween(
  before: MetricsTotals,
  after: MetricsTotals,
  at: number,
  dtMs: number,
): MetricsSample {
  const requests = Math.max(0, after.requests - before.requests);
  const errors = Math.max(0, after.errors - before.errors);
  const quantileMs = (q: number) => {
    const s = bucketQuantile(before.latencyBuckets, after.latencyBuckets, q);
    return s === null ? null : Math.round(s * 1000 * 100) / 100;
  };
  return {
    at,
    requestsPerS: Math.round((requests / Math.max(dtMs, 1)) * 1000 * 100) / 100,
    errorRate: requests === 0 ? null : errors / requests,
    p50Ms: quantileMs(0.5),
    p99Ms: quantileMs(0.99),
    refreshes: Math.max(0, after.refreshes - before.refreshes),
    webhookQueue: after.webhookQueue,
  };
}

/**
 * An in-process ring buffer of samples (default one every 10 s for two
 * hours), taken from the metrics the /metrics listener serves. It starts
 * empty at each start: history longer than that is Prometheus' job.
 */
export class MetricsHistory {
  readonly #read: () => Promise<MetricsTotals>;
  readonly #now: () => number;
  readonly #capacity: number;
  readonly #samples: MetricsSample[] = [];
  #last: { totals: MetricsTotals; at: number } | null = null;

  constructor(deps: { read: () => Promise<MetricsTotals>; now: () => number; capacity?: number }) {
    this.#read = deps.read;
    this.#now = deps.now;
    this.#capacity = deps.capacity ?? 720;
  }

  async sample(): Promise<void> {
    const totals = await this.#read();
    const at = this.#now();
    if (this.#last) {
      this.#samples.push(sampleBetween(this.#last.totals, totals, at, at - this.#last.at));
      if (this.#samples.length > this.#capacity) this.#samples.shift();
    }
    this.#last = { totals, at };
  }

  samples(): readonly MetricsSample[] {
    return this.#samples;
  }
}
