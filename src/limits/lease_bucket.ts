/**
 * One limit key's token bucket, shared by every process on the database, and
 * the leases processes hold on it. The bucket keeps the tokens nobody has
 * claimed; a process claims a lease of tokens and admits calls locally only
 * against it, handing back what it did not spend at its next sync.
 *
 * Why this holds across processes: tokens are only ever created by refill,
 * and refill stops at `burst` minus the tokens leased out, so the unclaimed
 * tokens plus every live lease never exceed `burst`. A call is admitted only
 * by spending a leased token, so all processes together admit at most what
 * one token bucket would (burst + rate × time): the guarantee is exact, not
 * within a margin. What sharing costs is the other way round: a process
 * whose lease ran out while another holds unspent tokens may refuse (or
 * wait one sync) although the bucket as a whole was not empty.
 *
 * A crashed holder's lease simply expires (`until`): its unspent tokens are
 * lost until refill covers them, which can only under-admit.
 */

/** What a limit allows: `count` per `periodMs`, at most `burst` at once. */
export interface BucketSpec {
  readonly count: number;
  readonly periodMs: number;
  readonly burst: number;
}

/** The unclaimed tokens at `at`. */
export interface BucketState {
  readonly tokens: number;
  readonly at: number;
}

export interface Lease {
  readonly holder: string;
  readonly tokens: number;
  readonly until: number;
}

export interface Claim {
  readonly key: string;
  readonly spec: BucketSpec;
  /** Unspent tokens of this holder's lease handed back (ignored if that lease expired). */
  readonly returning: number;
  /** Tokens wanted for the next lease (0: only hand back). */
  readonly want: number;
}

export interface Settled {
  readonly key: string;
  /** The holder's new lease (0 = none). */
  readonly granted: number;
  /** Unclaimed tokens left in the bucket at `at`. */
  readonly tokens: number;
  readonly at: number;
  /** Tokens other holders have leased and may still spend. */
  readonly leasedByOthers: number;
}

/** The bucket after one holder's claim, and when its row may be forgotten. */
export interface Outcome extends Settled {
  readonly expiresAt: number;
}

/** Refill per millisecond. */
export function refillRate(spec: BucketSpec): number {
  return spec.count / spec.periodMs;
}

/**
 * Settles one claim: hands back the holder's unspent lease, refills (never
 * beyond burst minus other holders' leases), then grants up to `want` whole
 * tokens. Pure: both stores (the database and tests' memory) run this.
 */
export function settleClaim(
  bucket: BucketState | null,
  leases: readonly Lease[],
  holder: string,
  claim: Claim,
  now: number,
  leaseMs: number,
): Outcome {
  const { spec } = claim;
  let own: Lease | null = null;
  let others = 0;
  for (const lease of leases) {
    if (lease.until <= now) continue;
    if (lease.holder === holder) own = lease;
    else others += lease.tokens;
  }
  const cap = Math.max(0, spec.burst - others);
  const rate = refillRate(spec);
  let tokens: number;
  let at: number;
  if (bucket === null) {
    tokens = cap;
    at = now;
  } else {
    // Only a live lease is handed back: an expired one was already released by refill's cap.
    tokens = bucket.tokens + (own ? Math.min(Math.max(0, claim.returning), own.tokens) : 0);
    // Another node's clock may be ahead: time never runs backwards for a bucket.
    at = Math.max(bucket.at, now);
    const refilled = Math.min(cap, tokens + (at - bucket.at) * rate);
    tokens = Math.max(tokens, refilled);
  }
  // Rounding: 9.9999999 tokens after many small refills is 10.
  const whole = Math.floor(tokens + 1e-9);
  const granted = Math.max(0, Math.min(whole, Math.floor(claim.want)));
  tokens = Math.max(0, tokens - granted);
  const fullIn = Math.ceil((spec.burst - tokens) / rate);
  return {
    key: claim.key,
    granted,
    tokens,
    at,
    leasedByOthers: others,
    expiresAt: at + fullIn + leaseMs,
  };
}

/** The unclaimed tokens a holder expects at `now` from what its last sync saw. */
export function estimateTokens(spec: BucketSpec, seen: Settled, now: number): number {
  const cap = Math.max(0, spec.burst - seen.leasedByOthers);
  return Math.min(cap, seen.tokens + Math.max(0, now - seen.at) * refillRate(spec));
}

/** Milliseconds until the bucket holds `n` whole tokens (default one) again. */
export function msUntilTokens(spec: BucketSpec, tokens: number, n = 1): number {
  // Less a hair: 1 / (1/3600000) is 3600000.0000000005 in floating point.
  return tokens >= n ? 0 : Math.ceil((n - tokens) / refillRate(spec) - 1e-6);
}
