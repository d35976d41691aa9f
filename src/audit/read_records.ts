import { and, asc, eq, gt, gte, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { kindFilter } from "./kind_filter.ts";
import {
  type RecordFilter,
  recordMatches,
  rowRecords,
  type StoredRecord,
} from "./stored_records.ts";

export interface ReadFilter extends RecordFilter {
  /** `--kind` syntax (kind_filter.ts). */
  kinds?: string;
}

// Rows per query: a pack row holds up to a thousand records.
const PAGE = 50;

/**
 * Every record that matches, in chain order, a page of rows at a time. SQL
 * narrows to the rows that may hold a match (a pack mixes apps, entities
 * and times; its kind is its records' kind); recordMatches decides per record.
 */
export async function* readRecords(
  db: Db,
  filter: ReadFilter = {},
): AsyncGenerator<StoredRecord[]> {
  const where = rowFilters(filter);
  let lastSeq = 0;
  while (true) {
    const page = await db.select().from(auditLog).where(and(gt(auditLog.seq, lastSeq), ...where))
      .orderBy(asc(auditLog.seq)).limit(PAGE);
    for (const row of page) {
      const records = rowRecords(row).filter((r) => recordMatches(r, filter));
      if (records.length) yield records;
      lastSeq = row.seq;
    }
    if (page.length < PAGE) return;
  }
}

/** All matching records at once: for small logs and tests. */
export async function listRecords(db: Db, filter: ReadFilter = {}): Promise<StoredRecord[]> {
  const all: StoredRecord[] = [];
  for await (const records of readRecords(db, filter)) all.push(...records);
  return all;
}

/**
 * The SQL conditions that narrow the log to rows that may hold a match: a
 * pack row (records > 1) always may, its records are matched one by one.
 */
export function rowFilters(filter: ReadFilter): SQL[] {
  const where: SQL[] = [];
  const packed = gt(auditLog.records, 1);
  if (filter.since != null) {
    where.push(gte(sql`coalesce(${auditLog.lastAt}, ${auditLog.at})`, filter.since));
  }
  if (filter.until != null) where.push(lte(auditLog.at, filter.until));
  if (filter.appId) where.push(or(eq(auditLog.appId, filter.appId), packed)!);
  if (filter.entityId) where.push(or(eq(auditLog.entityId, filter.entityId), packed)!);
  const kinds = kindFilter(filter.kinds);
  if (kinds) where.push(kinds);
  return where;
}
