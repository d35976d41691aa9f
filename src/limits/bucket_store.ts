import { and, eq, inArray, lt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { rateLimitBuckets, rateLimitLeases } from "../db/schema.ts";
import {
  type BucketState,
  type Claim,
  type Lease,
  settleClaim,
  type Settled,
} from "./lease_bucket.ts";

/** Where the shared buckets live: one call settles a holder's claims for many keys at once. */
export interface BucketStore {
  settle(holder: string, claims: readonly Claim[], now: number): Promise<Settled[]>;
}

/** Keys per `IN (...)` list: far below SQLite's variable limit. */
const CHUNK = 200;
/** Expired leases and forgotten buckets are swept at most this often. */
const SWEEP_MS = 60_000;

/**
 * The buckets in the database: every process on it (and every serving
 * isolate) shares them. One write transaction per sync settles all of a
 * holder's keys, so the database sees a process at most once per
 * `share_ms`, however many calls it serves.
 */
export function databaseBuckets(database: Database, leaseMs: number): BucketStore {
  let sweptAt = 0;
  return {
    settle(holder, claims, now) {
      return database.transaction(async (tx) => {
        if (now - sweptAt >= SWEEP_MS) {
          sweptAt = now;
          await tx.delete(rateLimitLeases).where(lt(rateLimitLeases.until, now));
          // A row expires once its bucket would be full again and no lease can still be live.
          await tx.delete(rateLimitBuckets).where(lt(rateLimitBuckets.expiresAt, now));
        }
        const out: Settled[] = [];
        for (let i = 0; i < claims.length; i += CHUNK) {
          const chunk = claims.slice(i, i + CHUNK);
          const keys = chunk.map((c) => c.key);
          const buckets = new Map<string, BucketState>();
          for (
            const row of await tx.select().from(rateLimitBuckets).where(
              inArray(rateLimitBuckets.key, keys),
            )
          ) {
            buckets.set(row.key, { tokens: row.tokens, at: row.at });
          }
          const leases = new Map<string, Lease[]>();
          for (
            const row of await tx.select().from(rateLimitLeases).where(
              inArray(rateLimitLeases.key, keys),
            )
          ) {
            let list = leases.get(row.key);
            if (!list) leases.set(row.key, list = []);
            list.push(row);
          }
          for (const claim of chunk) {
            const settled = settleClaim(
              buckets.get(claim.key) ?? null,
              leases.get(claim.key) ?? [],
              holder,
              claim,
              now,
              leaseMs,
            );
            const row = { tokens: settled.tokens, at: settled.at, expiresAt: settled.expiresAt };
            await tx.insert(rateLimitBuckets).values({ key: claim.key, ...row })
              .onConflictDoUpdate({ target: rateLimitBuckets.key, set: row });
            await tx.delete(rateLimitLeases).where(
              and(eq(rateLimitLeases.key, claim.key), eq(rateLimitLeases.holder, holder)),
            );
            if (settled.granted > 0) {
              await tx.insert(rateLimitLeases).values({
                key: claim.key,
                holder,
                tokens: settled.granted,
                until: now + leaseMs,
              });
            }
            out.push(settled);
          }
        }
        return out;
      });
    },
  };
}
