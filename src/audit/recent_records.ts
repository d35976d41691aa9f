import { and, desc, eq, gt, lt, or } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { type ReadFilter, rowFilters } from "./read_records.ts";
import { recordMatches, rowRecords, type StoredRecord } from "./stored_records.ts";

export interface RecentFilter extends ReadFilter {
  agentId?: string | null;
}

export interface RecentPage {
  /** Newest first. */
  records: StoredRecord[];
  /** Pass as `before` for the next (older) page; null at the start of the log. */
  before: number | null;
}

// Rows per query; a pack row holds up to a thousand records.
const ROWS = 50;

/**
 * The newest records that match, older than row `before`, newest first (the
 * console's audit list): about `limit` records, whole rows at a time, so a
 * page never splits a pack and the cursor is a row number.
 */
export async function recentRecords(
  db: Db,
  filter: RecentFilter,
  options: { before?: number | null; limit?: number } = {},
): Promise<RecentPage> {
  const limit = options.limit ?? 50;
  const where = rowFilters(filter);
  if (filter.agentId) {
    where.push(or(eq(auditLog.agentId, filter.agentId), gt(auditLog.records, 1))!);
  }
  const records: StoredRecord[] = [];
  let before = options.before ?? null;
  while (records.length < limit) {
    const rows = await db.select().from(auditLog).where(
      and(before === null ? undefined : lt(auditLog.seq, before), ...where),
    ).orderBy(desc(auditLog.seq)).limit(ROWS);
    for (const row of rows) {
      const matching = rowRecords(row).filter((r) =>
        recordMatches(r, filter) && (!filter.agentId || r.agentId === filter.agentId)
      ).reverse();
      records.push(...matching);
      before = row.seq;
      if (records.length >= limit) break;
    }
    if (rows.length < ROWS) return { records, before: records.length >= limit ? before : null };
  }
  return { records, before };
}

/** Records in rows after `afterSeq`, oldest first (the live tail). */
export async function recordsAfter(db: Db, afterSeq: number, max = 200): Promise<StoredRecord[]> {
  const rows = await db.select().from(auditLog).where(gt(auditLog.seq, afterSeq))
    .orderBy(auditLog.seq).limit(max);
  return rows.flatMap(rowRecords);
}

/** The newest row number, 0 for an empty log. */
export async function lastSeq(db: Db): Promise<number> {
  const [row] = await db.select({ seq: auditLog.seq }).from(auditLog).orderBy(desc(auditLog.seq))
    .limit(1);
  return row?.seq ?? 0;
}
