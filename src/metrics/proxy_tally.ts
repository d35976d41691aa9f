import type client from "prom-client";

/**
 * The proxy's per-request metrics (requests by provider and status, total and
 * upstream latency by provider), counted in small per-provider structures and
 * written into prom-client when it collects (before every `get()`,
 * `metrics()` and snapshot). prom-client validates and hashes the label
 * object on every `inc`/`observe`: about 1 µs of the serving thread per
 * request, against a Map lookup and a few additions here.
 *
 * Memory is flat: one entry per provider, one per status seen there, one
 * slot per bucket; no observation is kept. The exposition is the one
 * per-call updates give, byte for byte: counts are integers (exact in any
 * order) and each series' sum is added up here from 0 in arrival order, as
 * prom-client adds it (see proxy_tally_test.ts).
 */
export class ProxyTally {
  readonly #providers = new Map<string, ProviderTally>();
  /** Each kind of series in the order first seen: prom-client lists them so. */
  readonly #statusOrder: StatusCount[] = [];
  readonly #totalOrder: Series[] = [];
  readonly #upstreamOrder: Series[] = [];

  constructor(
    private readonly requests: client.Counter<"provider" | "status">,
    private readonly total: client.Histogram<"provider">,
    private readonly upstream: client.Histogram<"provider">,
    private readonly bounds: readonly number[],
  ) {}

  /** One proxied request; times in seconds, upstream null when it was never asked. */
  record(provider: string, status: number, totalS: number, upstreamS: number | null): void {
    let tally = this.#providers.get(provider);
    if (tally === undefined) {
      tally = new ProviderTally(provider, this.bounds.length);
      this.#providers.set(provider, tally);
    }
    let count = tally.statuses.get(status);
    if (count === undefined) {
      count = { labels: { provider, status: String(status) }, pending: 0 };
      tally.statuses.set(status, count);
      this.#statusOrder.push(count);
    }
    count.pending += 1;
    if (tally.total.count === 0) this.#totalOrder.push(tally.total);
    observe(tally.total, this.bounds, totalS);
    if (upstreamS === null) return;
    if (tally.upstream.count === 0) this.#upstreamOrder.push(tally.upstream);
    observe(tally.upstream, this.bounds, upstreamS);
  }

  /** Into prom-client: the counts since the last flush, and the series that moved. */
  flush(): void {
    for (const count of this.#statusOrder) {
      if (count.pending === 0) continue;
      this.requests.inc(count.labels, count.pending);
      count.pending = 0;
    }
    for (const series of this.#totalOrder) write(this.total, series);
    for (const series of this.#upstreamOrder) write(this.upstream, series);
  }
}

interface StatusCount {
  readonly labels: { provider: string; status: string };
  /** Requests not yet handed to prom-client. */
  pending: number;
}

/** A histogram series as prom-client keeps it: cumulative since the start. */
interface Series {
  readonly labels: { provider: string };
  /** Observations per bucket (not cumulative); above the last bound only `count` moves. */
  readonly buckets: Float64Array;
  count: number;
  sum: number;
  /** `count` when last written into prom-client. */
  written: number;
}

class ProviderTally {
  readonly statuses = new Map<number, StatusCount>();
  readonly total: Series;
  readonly upstream: Series;

  constructor(provider: string, bucketCount: number) {
    const labels = { provider };
    this.total = { labels, buckets: new Float64Array(bucketCount), count: 0, sum: 0, written: 0 };
    this.upstream = {
      labels,
      buckets: new Float64Array(bucketCount),
      count: 0,
      sum: 0,
      written: 0,
    };
  }
}

function observe(series: Series, bounds: readonly number[], value: number): void {
  // As prom-client refuses it: a broken clock shows up, it is not averaged in.
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
  series.sum += value;
  series.count += 1;
  for (let i = 0; i < bounds.length; i++) {
    if (value <= bounds[i]) {
      series.buckets[i] += 1;
      return;
    }
  }
}

/** The shape prom-client 15 keeps a histogram series in (`hashMap` values). */
interface PromSeries {
  labels: object;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/**
 * Sets a series to the running totals. prom-client has no public way to set
 * a histogram's sum: `zero()` (public) creates or empties the series under
 * its own key and order, and the series it made is then filled in. The
 * exposition test fails if a prom-client upgrade changes this shape.
 */
function write(histogram: client.Histogram<"provider">, series: Series): void {
  if (series.written === series.count) return;
  series.written = series.count;
  const labels = series.labels;
  histogram.zero(labels);
  const map = (histogram as unknown as { hashMap: Record<string, PromSeries> }).hashMap;
  let target: PromSeries | undefined;
  for (const key in map) {
    if (map[key].labels === labels) target = map[key];
  }
  if (target === undefined) throw new Error(`prom-client kept no series for ${labels.provider}`);
  const bounds = (histogram as unknown as { upperBounds: readonly number[] }).upperBounds;
  for (let i = 0; i < bounds.length; i++) target.bucketValues[bounds[i]] = series.buckets[i];
  target.sum = series.sum;
  target.count = series.count;
}
