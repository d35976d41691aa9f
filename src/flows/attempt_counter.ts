import { and, eq, gt, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { rateCounters } from "../db/schema.ts";

/**
 * Fixed-window counters in the database, so every appliance node sharing it
 * sees the same count. A row holds one key's count in its current window;
 * a count from an earlier window reads as zero and restarts at the next add.
 */

/** Where a counter's window starts and how long it lasts. */
export interface AttemptWindow {
  start: number;
  ms: number;
}

/** The clock-aligned window of `ms` that `now` falls in. */
export function clockWindow(ms: number, now: number): AttemptWindow {
  return { start: now - (now % ms), ms };
}

/**
 * One window for a session's whole life, started when it was. A window
 * aligned to the clock instead would restart partway through a session that
 * spans its boundary and hand that session the limit twice.
 */
export function sessionWindow(
  session: { createdAt: number; expiresAt: number },
): AttemptWindow {
  return { start: session.createdAt, ms: Math.max(1, session.expiresAt - session.createdAt) };
}

/** Adds one attempt and returns the count after adding. */
export async function addAttempt(db: Db, key: string, window: AttemptWindow): Promise<number> {
  return (await countAttempt(db, key, window, null))!;
}

/**
 * Counts an attempt as failed before it is checked, in one statement with
 * the limit check: the count after adding, or null (nothing counted) when
 * `limit` attempts are counted already. Concurrent attempts each take one of
 * the allowed ones, so no more than `limit` are ever checked; one that turns
 * out right gives its count back with `giveBackAttempt` (the console
 * lockout's reserve/succeeded, kept in the database for every node).
 */
export function reserveAttempt(
  db: Db,
  key: string,
  window: AttemptWindow,
  limit: number,
): Promise<number | null> {
  return countAttempt(db, key, window, limit);
}

/** One more attempt in `window` (a new window starts at 1), unless `limit` are counted already. */
async function countAttempt(
  db: Db,
  key: string,
  window: AttemptWindow,
  limit: number | null,
): Promise<number | null> {
  const [row] = await db.insert(rateCounters).values({ key, windowStart: window.start, count: 1 })
    .onConflictDoUpdate({
      target: rateCounters.key,
      set: {
        count:
          sql`CASE WHEN ${rateCounters.windowStart} = ${window.start} THEN ${rateCounters.count} + 1 ELSE 1 END`,
        windowStart: window.start,
      },
      setWhere: limit === null
        ? undefined
        : sql`${rateCounters.windowStart} <> ${window.start} OR ${rateCounters.count} < ${limit}`,
    }).returning({ count: rateCounters.count });
  return row?.count ?? null;
}

/** What `reserveFailure` answers: counted in the window starting at `windowStart`, or locked out until `until`. */
export type FailureCount = { windowStart: number } | { until: number };

/**
 * `reserveAttempt` for a lockout: the window starts at the first failure
 * (not on the clock) and lasts `ms`, and a refusal says until when, so every
 * node tells the client the same Retry-After. One statement counts and
 * checks; only a refusal reads the row again.
 */
export async function reserveFailure(
  db: Db,
  key: string,
  limits: { now: number; ms: number; limit: number },
): Promise<FailureCount> {
  const { now, ms, limit } = limits;
  const live = sql`${rateCounters.windowStart} > ${now - ms}`;
  const [row] = await db.insert(rateCounters).values({ key, windowStart: now, count: 1 })
    .onConflictDoUpdate({
      target: rateCounters.key,
      set: {
        // SQLite evaluates every SET expression on the row as it was before the update.
        count: sql`CASE WHEN ${live} THEN ${rateCounters.count} + 1 ELSE 1 END`,
        windowStart: sql`CASE WHEN ${live} THEN ${rateCounters.windowStart} ELSE ${now} END`,
      },
      setWhere: sql`NOT (${live}) OR ${rateCounters.count} < ${limit}`,
    }).returning({ windowStart: rateCounters.windowStart });
  if (row) return { windowStart: row.windowStart };
  const [held] = await db.select({ windowStart: rateCounters.windowStart }).from(rateCounters)
    .where(eq(rateCounters.key, key));
  // Pruned or restarted between the two statements: the refusal still stands, for a moment.
  return { until: Math.max(held ? held.windowStart + ms : 0, now + 1_000) };
}

/** Gives back an attempt `reserveAttempt` counted, if its window is still the current one. */
export async function giveBackAttempt(db: Db, key: string, window: AttemptWindow): Promise<void> {
  await db.update(rateCounters).set({ count: sql`${rateCounters.count} - 1` }).where(and(
    eq(rateCounters.key, key),
    eq(rateCounters.windowStart, window.start),
    gt(rateCounters.count, 0),
  ));
}

/**
 * Housekeeping: deletes counters whose window has ended, which nothing reads
 * again (a flood from many addresses would otherwise leave a row for each
 * forever). Rows do not say how long their window is, so `longestWindowMs`
 * must be at least the longest any counter uses: a row that started longer
 * ago than that has ended, whatever its window. Returns how many rows went.
 */
export async function pruneAttempts(
  db: Db,
  now: number,
  longestWindowMs: number,
): Promise<number> {
  const gone = await db.delete(rateCounters)
    .where(lte(rateCounters.windowStart, now - longestWindowMs));
  return gone.rowsAffected;
}
