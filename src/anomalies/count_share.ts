import { and, eq, gte, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { anomalyCounts } from "../db/schema.ts";

export interface CountRow {
  detector: string;
  subject: string;
  /** Bucket start, ms. */
  bucket: number;
  count: number;
}

// Bound parameters per statement stay well below SQLite's cap.
const CHUNK = 100;

/**
 * Adds this process's counts to the shared ones and answers the totals of
 * every bucket since `since` for the same subjects, in one transaction.
 * Buckets older than `dropBefore` are deleted on the way.
 */
export async function shareCounts(
  database: Database,
  deltas: readonly CountRow[],
  since: number,
  dropBefore: number,
): Promise<CountRow[]> {
  return await database.transaction(async (tx) => {
    for (let i = 0; i < deltas.length; i += CHUNK) {
      await tx.insert(anomalyCounts).values(deltas.slice(i, i + CHUNK)).onConflictDoUpdate({
        target: [anomalyCounts.detector, anomalyCounts.subject, anomalyCounts.bucket],
        set: { count: sql`${anomalyCounts.count} + excluded.count` },
      });
    }
    await tx.delete(anomalyCounts).where(lt(anomalyCounts.bucket, dropBefore));
    const subjects = new Map<string, { detector: string; subject: string }>();
    for (const d of deltas) subjects.set(`${d.detector}\n${d.subject}`, d);
    const pairs = [...subjects.values()];
    const totals: CountRow[] = [];
    for (let i = 0; i < pairs.length; i += CHUNK) {
      const chunk = pairs.slice(i, i + CHUNK).map((p) =>
        and(eq(anomalyCounts.detector, p.detector), eq(anomalyCounts.subject, p.subject))!
      );
      totals.push(
        ...await tx.select().from(anomalyCounts).where(
          and(gte(anomalyCounts.bucket, since), or(...chunk)),
        ),
      );
    }
    return totals;
  });
}
