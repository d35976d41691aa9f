import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { rateCounters } from "../db/schema.ts";

/**
 * Fixed-window counters in the database, so every appliance node sharing it
 * sees the same count. `add` returns the count after adding.
 */
export async function addAttempt(
  db: Db,
  key: string,
  windowMs: number,
  now: number,
): Promise<number> {
  const windowStart = now - (now % windowMs);
  const [row] = await db.insert(rateCounters).values({ key, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: rateCounters.key,
      set: {
        count:
          sql`CASE WHEN ${rateCounters.windowStart} = ${windowStart} THEN ${rateCounters.count} + 1 ELSE 1 END`,
        windowStart,
      },
    }).returning({ count: rateCounters.count });
  return row.count;
}

export async function currentAttempts(
  db: Db,
  key: string,
  windowMs: number,
  now: number,
): Promise<number> {
  const windowStart = now - (now % windowMs);
  const rows = await db.select().from(rateCounters).where(sql`${rateCounters.key} = ${key}`);
  return rows[0] && rows[0].windowStart === windowStart ? rows[0].count : 0;
}
