import type { BucketStore } from "./bucket_store.ts";
import { type BucketState, type Claim, type Lease, settleClaim } from "./lease_bucket.ts";

/**
 * Test helper: the database buckets' semantics in memory (the same
 * settleClaim, leases per holder), counting each holder's syncs.
 */
export function memoryBuckets(leaseMs: number): BucketStore & {
  syncs: Map<string, number>;
  fail: boolean;
} {
  const buckets = new Map<string, BucketState>();
  const leases = new Map<string, Lease[]>();
  const store = {
    syncs: new Map<string, number>(),
    fail: false,
    settle(holder: string, claims: readonly Claim[], now: number) {
      if (store.fail) return Promise.reject(new Error("database is locked"));
      store.syncs.set(holder, (store.syncs.get(holder) ?? 0) + 1);
      return Promise.resolve(claims.map((claim) => {
        const held = leases.get(claim.key) ?? [];
        const out = settleClaim(buckets.get(claim.key) ?? null, held, holder, claim, now, leaseMs);
        buckets.set(claim.key, { tokens: out.tokens, at: out.at });
        const kept = held.filter((l) => l.holder !== holder && l.until > now);
        if (out.granted > 0) kept.push({ holder, tokens: out.granted, until: now + leaseMs });
        leases.set(claim.key, kept);
        return out;
      }));
    },
  };
  return store;
}
