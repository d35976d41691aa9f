import type { BucketStore } from "./bucket_store.ts";
import {
  type BucketSpec,
  type Claim,
  estimateTokens,
  msUntilTokens,
  type Settled,
} from "./lease_bucket.ts";

/**
 * This process's side of the shared rate limits (see lease_bucket.ts for the
 * guarantee). Per limit key it holds a lease of tokens claimed from the
 * database bucket and admits calls against it without awaiting anything: the
 * hot path is a map lookup and a decrement.
 *
 * The database is asked at most once per `shareMs` (one transaction for all
 * keys): when a key's lease ran out (the calls wait for that sync, at most
 * three intervals while another holder's lease may come back), and at the intervals while leases are held, to hand
 * back what was not spent and claim twice what the last interval used (a key
 * whose lease already covers the next interval, and not much more, skips). A key's first claim
 * takes this holder's share of the burst (`holders`: 1, the whole burst, in a lone process, the
 * usual deployment, which then admits exactly: calls 1..burst pass at once and the next is
 * refused). With several serving isolates each first claim leaves the others theirs, so a call
 * on another isolate is admitted at its first sync instead of waiting for a hand-back; a holder
 * that needs more claims it at its next sync. A call is refused without waiting when the last
 * sync left the bucket empty and nobody else holds tokens.
 *
 * Memory is bounded: at most `maxKeys` keys (the least recently used goes;
 * its lease is abandoned, which can only under-admit) and at most 1000
 * waiting calls, taking at most `burst` tokens together, per key.
 */

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly retryAfterMs: number };

export const ADMITTED: Admission = Object.freeze({ ok: true });

export interface LimitCountersDeps {
  store: BucketStore;
  now: () => number;
  /** `[security] share_ms`: the least time between two syncs of this process. */
  shareMs: number;
  /** How long a claimed lease may be spent; the database forgets it after that. */
  leaseMs: number;
  /** Default 100 000. */
  maxKeys?: number;
  /**
   * How many holders (serving isolates of this process) may share a key: a key's first claim is
   * `ceil(burst / holders)`, so the first isolate to see it does not lease the whole burst. Default 1.
   */
  holders?: number;
  /** This process (or isolate) in the leases table; default random. */
  holder?: string;
  /** Timer for the next sync (tests drive it); returns a cancel function. */
  setTimer?: (run: () => void, ms: number) => () => void;
  onError?: (error: unknown) => void;
}

interface Waiter {
  resolve: (admission: Admission) => void;
  /** Tokens this call takes. */
  n: number;
  /** Syncs this call has waited through. */
  syncs: number;
}

interface Entry {
  readonly key: string;
  readonly spec: BucketSpec;
  lease: number;
  leaseUntil: number;
  /** Calls since the last sync: sizes the next claim. */
  demand: number;
  waiters: Waiter[];
  /** The tokens the waiters take together. */
  waiting: number;
  /** What the last sync saw of the shared bucket; null before the first. */
  seen: Settled | null;
}

const MAX_WAITERS = 1000;
/** Syncs a call waits through while other holders have tokens leased (see #run). */
const MAX_SYNCS_WAITED = 3;

function defaultTimer(run: () => void, ms: number): () => void {
  const id = setTimeout(run, ms);
  Deno.unrefTimer(id);
  return () => clearTimeout(id);
}

export class LimitCounters {
  readonly #deps: LimitCountersDeps;
  readonly #holder: string;
  readonly #maxKeys: number;
  readonly #holders: number;
  readonly #setTimer: (run: () => void, ms: number) => () => void;
  readonly #entries = new Map<string, Entry>();
  /** Entries holding a lease or waiting calls: what the next sync settles. */
  readonly #pending = new Set<Entry>();
  #lastSync = -Infinity;
  #syncing: Promise<void> | null = null;
  #cancelTimer: (() => void) | null = null;
  #closed = false;

  constructor(deps: LimitCountersDeps) {
    this.#deps = deps;
    this.#holder = deps.holder ?? crypto.randomUUID();
    this.#maxKeys = deps.maxKeys ?? 100_000;
    this.#holders = Math.max(1, Math.floor(deps.holders ?? 1));
    this.#setTimer = deps.setTimer ?? defaultTimer;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Takes `n` tokens under `key` (a whole number; a batch takes one per call
   * it carries), all or none: admitted at once from the lease, or after the
   * next sync. More than the burst can never be admitted and is refused at
   * once; 0 is admitted and counts nothing.
   */
  take(key: string, spec: BucketSpec, n = 1): Admission | Promise<Admission> {
    if (n <= 0) return ADMITTED;
    const entry = this.#entry(key, spec);
    entry.demand += n;
    const now = this.#deps.now();
    if (entry.lease > 0 && now >= entry.leaseUntil) entry.lease = 0;
    if (entry.lease >= n) {
      entry.lease -= n;
      return ADMITTED;
    }
    if (n > spec.burst) return { ok: false, retryAfterMs: this.#retryAfter(entry, now) };
    if (entry.seen !== null && entry.seen.leasedByOthers === 0) {
      // The lease goes back at the sync and refill tops it up: if both fall short, and nobody
      // else holds tokens that could come back, the refusal is exact.
      const tokens = estimateTokens(spec, entry.seen, now) + entry.lease;
      if (tokens < n) return { ok: false, retryAfterMs: msUntilTokens(spec, tokens, n) };
    }
    if (
      this.#closed || entry.waiters.length >= MAX_WAITERS || entry.waiting + n > spec.burst
    ) {
      return { ok: false, retryAfterMs: this.#retryAfter(entry, now, n) };
    }
    return new Promise((resolve) => {
      entry.waiters.push({ resolve, n, syncs: 0 });
      entry.waiting += n;
      this.#pending.add(entry);
      this.#schedule();
    });
  }

  /**
   * The calls `key` can still admit as this process knows it: its lease plus
   * the whole tokens its last sync left unclaimed in the shared bucket (and
   * refill since). Other holders' leases are theirs and not counted; other
   * processes may claim the unclaimed tokens first, so across processes it
   * can overstate by what they take before this one syncs again. The lease
   * alone read as 0 while the bucket still held most of its tokens.
   */
  remaining(key: string): number {
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    const now = this.#deps.now();
    const lease = now < entry.leaseUntil ? entry.lease : 0;
    if (entry.seen === null) return lease;
    // Rounding as the claim does: 9.9999999 tokens after many small refills is 10.
    const unclaimed = Math.floor(estimateTokens(entry.spec, entry.seen, now) + 1e-9);
    // The estimate refills up to the burst as if this lease were back in the bucket: together
    // they never hold more than the burst less what other holders lease.
    const cap = Math.max(0, entry.spec.burst - entry.seen.leasedByOthers);
    return Math.min(cap, lease + unclaimed);
  }

  /**
   * Milliseconds until the shared bucket holds a whole token again, from
   * what the last sync saw plus refill since; 0 when it holds one now (the
   * next call claims it at the next sync).
   */
  msUntilToken(key: string): number {
    const entry = this.#entries.get(key);
    if (!entry?.seen) return 0;
    return msUntilTokens(entry.spec, estimateTokens(entry.spec, entry.seen, this.#deps.now()));
  }

  /** Gives back the `n` tokens `take` admitted (another limit on the same call refused it). */
  refund(key: string, n = 1): void {
    const entry = this.#entries.get(key);
    if (entry && n > 0 && this.#deps.now() < entry.leaseUntil) {
      entry.lease += n;
      this.#pending.add(entry);
    }
  }

  /** Hands back every unspent lease and refuses the calls still waiting. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    await this.#syncing;
    const now = this.#deps.now();
    const claims: Claim[] = [];
    for (const entry of this.#pending) {
      for (const w of entry.waiters) {
        w.resolve({ ok: false, retryAfterMs: this.#retryAfter(entry, now) });
      }
      entry.waiters = [];
      entry.waiting = 0;
      if (entry.lease > 0 && now < entry.leaseUntil) {
        claims.push({ key: entry.key, spec: entry.spec, returning: entry.lease, want: 0 });
      }
      entry.lease = 0;
    }
    this.#pending.clear();
    if (claims.length === 0) return;
    try {
      await this.#deps.store.settle(this.#holder, claims, now);
    } catch (error) {
      this.#deps.onError?.(error);
    }
  }

  #sync(): Promise<void> {
    if (this.#syncing) return this.#syncing;
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    const run = this.#run().finally(() => {
      this.#syncing = null;
      if (this.#pending.size > 0) this.#schedule();
    });
    this.#syncing = run;
    return run;
  }

  #entry(key: string, spec: BucketSpec): Entry {
    let entry = this.#entries.get(key);
    if (entry) {
      // Least recently used last to go: re-inserting moves the key to the end.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      return entry;
    }
    if (this.#entries.size >= this.#maxKeys) this.#evictOldest();
    entry = {
      key,
      spec,
      lease: 0,
      leaseUntil: 0,
      demand: 0,
      waiters: [],
      waiting: 0,
      seen: null,
    };
    this.#entries.set(key, entry);
    return entry;
  }

  #evictOldest(): void {
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      this.#pending.delete(entry);
      const now = this.#deps.now();
      for (const w of entry.waiters) {
        w.resolve({ ok: false, retryAfterMs: this.#retryAfter(entry, now) });
      }
      return;
    }
  }

  /** When `n` tokens (one if the burst cannot hold them) may be back: a share interval at least. */
  #retryAfter(entry: Entry, now: number, n = 1): number {
    const tokens = entry.seen ? estimateTokens(entry.spec, entry.seen, now) : 0;
    const want = n > entry.spec.burst ? 1 : n;
    return Math.max(this.#deps.shareMs, msUntilTokens(entry.spec, tokens, want));
  }

  #schedule(): void {
    if (this.#syncing || this.#cancelTimer || this.#closed) return;
    const wait = Math.max(0, this.#lastSync + this.#deps.shareMs - this.#deps.now());
    if (wait === 0) {
      // After the current task: keys first seen together (one call under two limits, a
      // burst of calls) go in one sync.
      let cancelled = false;
      this.#cancelTimer = () => cancelled = true;
      queueMicrotask(() => {
        if (cancelled) return;
        this.#cancelTimer = null;
        void this.#sync();
      });
      return;
    }
    this.#cancelTimer = this.#setTimer(() => {
      this.#cancelTimer = null;
      void this.#sync();
    }, wait);
  }

  async #run(): Promise<void> {
    const now = this.#deps.now();
    this.#lastSync = now;
    const entries: Entry[] = [];
    const claims: Claim[] = [];
    const waiting = new Map<Entry, Waiter[]>();
    for (const entry of this.#pending) {
      if (
        entry.waiters.length === 0 && entry.demand > 0 && entry.lease >= entry.demand &&
        entry.lease <= 2 * entry.demand && now < entry.leaseUntil - this.#deps.shareMs
      ) {
        // Enough for another interval like the last and no more than a claim would take:
        // a steady caller costs the database nothing until its lease runs low or expires.
        entry.demand = 0;
        continue;
      }
      entries.push(entry);
      const returning = now < entry.leaseUntil ? entry.lease : 0;
      const waiters = entry.waiters;
      const tokens = entry.waiting;
      entry.waiters = [];
      entry.waiting = 0;
      waiting.set(entry, waiters);
      const burst = entry.spec.burst;
      // First sight of a key: this holder's share (the whole burst when alone, so a lone process
      // is exact with no waiting), or what the calls waiting for it take if more. Afterwards what
      // the last interval used, doubled, so a steady caller rarely waits.
      const want = entry.seen === null
        ? Math.min(burst, Math.max(tokens, Math.ceil(burst / this.#holders), 1))
        : entry.demand > 0 || tokens > 0
        ? Math.min(burst, Math.max(tokens, 2 * entry.demand, 1))
        : 0;
      claims.push({ key: entry.key, spec: entry.spec, returning, want });
      entry.lease = 0;
      entry.demand = 0;
    }
    if (entries.length === 0) return;
    let settled: Settled[];
    try {
      settled = await this.#deps.store.settle(this.#holder, claims, now);
    } catch (error) {
      this.#deps.onError?.(error);
      // Fail closed for the calls that waited: a limit nobody can count is not lifted.
      for (const [entry, waiters] of waiting) {
        for (const w of waiters) w.resolve({ ok: false, retryAfterMs: this.#deps.shareMs });
        // Calls that arrived during this sync were never asked about: the next sync is theirs.
        if (entry.waiters.length === 0) this.#pending.delete(entry);
      }
      return;
    }
    const after = this.#deps.now();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const result = settled[i];
      entry.seen = result;
      // Spend it a little before the database forgets it, so two holders never spend one token.
      entry.leaseUntil = now + this.#deps.leaseMs - this.#deps.shareMs;
      entry.lease = result.granted;
      // Calls that arrived during the sync queue behind those it was for.
      const queue = [...waiting.get(entry)!, ...entry.waiters];
      entry.waiters = [];
      entry.waiting = 0;
      for (const w of queue) {
        if (entry.lease >= w.n && after < entry.leaseUntil) {
          entry.lease -= w.n;
          w.resolve(ADMITTED);
        } else if (
          ++w.syncs < MAX_SYNCS_WAITED && !this.#closed &&
          (result.leasedByOthers > 0 ||
            estimateTokens(entry.spec, result, after) + entry.lease >= w.n)
        ) {
          // Others hold tokens they may hand back at their next sync: wait for it. They sync
          // at the same interval in another phase, and a busy holder's sync runs late, so one
          // more of ours can come just before theirs: a call waits through two. Or the bucket
          // still holds them (a first claim is a share; calls came during the sync): the next
          // sync claims them.
          entry.waiters.push(w);
          entry.waiting += w.n;
        } else {
          w.resolve({ ok: false, retryAfterMs: this.#retryAfter(entry, after, w.n) });
        }
      }
      if (entry.lease > 0 || entry.waiters.length > 0) this.#pending.add(entry);
      else this.#pending.delete(entry);
    }
  }
}
