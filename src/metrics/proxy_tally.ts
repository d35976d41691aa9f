import type client from "prom-client";

/**
 * The proxy's per-request metrics (requests by provider and status, total and
 * upstream latency by provider), counted in small per-provider structures and
 * added into prom-client when it collects (before every `get()`,
 * `metrics()` and snapshot). prom-client validates and hashes the label
 * object on every `inc`/`observe`: about 1 µs of the serving thread per
 * request, against a Map lookup and a few additions here.
 *
 * Each collect adds what was counted since the previous one, so anything
 * else that counts into the same metrics (a direct `inc`/`observe`, a
 * `reset()` or `zero()`) is kept, not overwritten by the tally's totals.
 *
 * Memory is flat: one entry per provider, one per status seen there, one
 * slot per bucket; no observation is kept. The exposition is the one
 * per-call updates give, byte for byte: counts are integers (exact in any
 * order) and each series' sum is added up here from 0 in arrival order, as
 * prom-client adds it (see proxy_tally_test.ts). Only a series that someone
 * else also counted into gets its sum as a difference, exact to rounding.
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

  /** Into prom-client: the counts since the last flush, added to what it holds. */
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

/** One histogram series: counted here, and where it was last added into prom-client. */
interface Series {
  readonly labels: { provider: string };
  /** Observations per bucket since the last write (not cumulative); above the last bound only `count` moves. */
  readonly buckets: Float64Array;
  /** Since the start, as is `sum` (added from 0 in arrival order). */
  count: number;
  sum: number;
  /** `count` and `sum` when last written into prom-client. */
  written: number;
  writtenSum: number;
  /** prom-client's series last written into, its key, and its count right after. */
  entry: PromSeries | undefined;
  key: string;
  entryCount: number;
  /** `entry` holds this tally's observations and no one else's: its sum can be set to `sum`. */
  alone: boolean;
}

class ProviderTally {
  readonly statuses = new Map<number, StatusCount>();
  readonly total: Series;
  readonly upstream: Series;

  constructor(provider: string, bucketCount: number) {
    const labels = { provider };
    this.total = newSeries(labels, bucketCount);
    this.upstream = newSeries(labels, bucketCount);
  }
}

function newSeries(labels: { provider: string }, bucketCount: number): Series {
  return {
    labels,
    buckets: new Float64Array(bucketCount),
    count: 0,
    sum: 0,
    written: 0,
    writtenSum: 0,
    entry: undefined,
    key: "",
    entryCount: 0,
    alone: false,
  };
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
  labels: { provider?: unknown };
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface PromHistogram {
  hashMap: Record<string, PromSeries>;
  upperBounds: readonly number[];
}

/**
 * Adds what was counted since the last write into prom-client's series.
 * prom-client has no public way to add to a histogram's sum and counts in
 * bulk: its series is found (or created with the public `zero()`) and added
 * to. While the tally is the only one counting into it, its sum is set to
 * the tally's own (the same additions in the same order as per-call
 * `observe`); once anyone else counted there, the difference is added. The
 * exposition test fails if a prom-client upgrade changes this shape.
 */
function write(histogram: client.Histogram<"provider">, series: Series): void {
  if (series.written === series.count) return;
  const entry = entryFor(histogram, series);
  if (entry !== series.entry) {
    // First write, or the series was made by someone's observe, or reset, zeroed or removed since.
    series.alone = series.written === 0 && entry.count === 0 && entry.sum === 0;
    series.entry = entry;
  } else if (entry.count !== series.entryCount) {
    series.alone = false; // Someone observed into it since the last write.
  }
  const bounds = (histogram as unknown as PromHistogram).upperBounds;
  for (let i = 0; i < bounds.length; i++) {
    entry.bucketValues[bounds[i]] += series.buckets[i];
    series.buckets[i] = 0;
  }
  entry.count += series.count - series.written;
  entry.sum = series.alone ? series.sum : entry.sum + (series.sum - series.writtenSum);
  series.written = series.count;
  series.writtenSum = series.sum;
  series.entryCount = entry.count;
}

/** prom-client's series for these labels: the one last written if it is still there, else found or made. */
function entryFor(histogram: client.Histogram<"provider">, series: Series): PromSeries {
  const map = (histogram as unknown as PromHistogram).hashMap;
  if (series.entry !== undefined && map[series.key] === series.entry) return series.entry;
  const provider = series.labels.provider;
  let key = keyOf(map, provider);
  if (key === undefined) {
    histogram.zero(series.labels); // Adds an empty series under prom-client's own key.
    key = keyOf(map, provider);
  }
  const entry = key === undefined ? undefined : map[key];
  if (
    key === undefined || entry === undefined || typeof entry.bucketValues !== "object" ||
    typeof entry.sum !== "number" || typeof entry.count !== "number"
  ) throw new Error(`prom-client kept no series for ${provider} in the expected shape`);
  series.key = key;
  return entry;
}

function keyOf(map: Record<string, PromSeries>, provider: string): string | undefined {
  for (const key in map) {
    const value = map[key].labels.provider;
    if (value !== undefined && String(value) === provider) return key;
  }
  return undefined;
}
