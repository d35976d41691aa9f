/**
 * A count over the last `windowMs`, kept in a ring of time buckets: adding
 * and summing allocate nothing, which matters on the proxy's hot path. The
 * window is exact to one bucket (1/BUCKETS of it): a sum covers the current
 * bucket and the BUCKETS - 1 before it.
 *
 * Several processes count the same subject: each shares what it counted
 * since the last time (`takeDeltas`) and learns the database's total per
 * bucket (`setTotal`); `sum` is then this process's count plus the others'.
 */
export const BUCKETS = 30;

export class SlidingWindow {
  readonly bucketMs: number;
  /** Bucket number (ms / bucketMs) each slot holds; -1 for none. */
  readonly #stamps = new Float64Array(BUCKETS).fill(-1);
  readonly #local = new Float64Array(BUCKETS);
  /** Of `#local`, what was already added to the database's total. */
  readonly #shared = new Float64Array(BUCKETS);
  /** Other processes' counts, as of the last share. */
  readonly #others = new Float64Array(BUCKETS);
  /** `sum` as of bucket `#sumBucket`: a call in the same bucket adds instead of summing the ring. */
  #sumBucket = -1;
  #sum = 0;

  constructor(windowMs: number) {
    this.bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS));
  }

  add(at: number, n: number): void {
    const bucket = Math.floor(at / this.bucketMs);
    const slot = this.#slot(bucket);
    this.#local[slot] += n;
    if (bucket === this.#sumBucket) this.#sum += n;
    else this.#sumBucket = -1;
  }

  /** Everything counted in the window ending at `at`, here and (as last shared) elsewhere. */
  sum(at: number): number {
    const current = Math.floor(at / this.bucketMs);
    if (current === this.#sumBucket) return this.#sum;
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const stamp = this.#stamps[i];
      if (stamp > current - BUCKETS && stamp <= current) total += this.#local[i] + this.#others[i];
    }
    this.#sumBucket = current;
    this.#sum = total;
    return total;
  }

  /** Whether this process counted anything not yet shared. */
  get dirty(): boolean {
    for (let i = 0; i < BUCKETS; i++) {
      if (this.#local[i] !== this.#shared[i]) return true;
    }
    return false;
  }

  /** Hands each bucket's unshared count to `take` (bucket start in ms) and marks it shared. */
  takeDeltas(take: (bucketStart: number, delta: number) => void): void {
    for (let i = 0; i < BUCKETS; i++) {
      const delta = this.#local[i] - this.#shared[i];
      if (delta === 0 || this.#stamps[i] < 0) continue;
      this.#shared[i] = this.#local[i];
      take(this.#stamps[i] * this.bucketMs, delta);
    }
  }

  /** The database's total for a bucket, this process's shared part included. */
  setTotal(bucketStart: number, total: number, at: number): void {
    const bucket = Math.floor(bucketStart / this.bucketMs);
    const current = Math.floor(at / this.bucketMs);
    if (bucket <= current - BUCKETS || bucket > current) return;
    if (this.#stamps[bucket % BUCKETS] > bucket) return;
    const slot = this.#slot(bucket);
    this.#others[slot] = Math.max(0, total - this.#shared[slot]);
    this.#sumBucket = -1;
  }

  /** Nothing counted in the window ending at `at` (the subject can be forgotten). */
  idle(at: number): boolean {
    return this.sum(at) === 0 && !this.dirty;
  }

  reset(): void {
    this.#sumBucket = -1;
    this.#stamps.fill(-1);
    this.#local.fill(0);
    this.#shared.fill(0);
    this.#others.fill(0);
  }

  #slot(bucket: number): number {
    const slot = bucket % BUCKETS;
    if (this.#stamps[slot] !== bucket) {
      // The slot held a bucket that has left the window: start it afresh.
      this.#stamps[slot] = bucket;
      this.#local[slot] = 0;
      this.#shared[slot] = 0;
      this.#others[slot] = 0;
    }
    return slot;
  }
}
