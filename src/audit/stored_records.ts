import type { auditLog } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { readPack } from "./audit_pack.ts";
import type { ChainedFields } from "./chain.ts";

export type AuditRow = typeof auditLog.$inferSelect;

/** One record as readers see it, whether it has a row of its own or sits in a pack. */
export interface StoredRecord extends Omit<ChainedFields, "data"> {
  /** The storage row: records written in one batch share it. */
  seq: number;
  data: Record<string, unknown>;
  hash: string;
}

export function isPack(row: Pick<AuditRow, "records">): boolean {
  return row.records > 1;
}

/** The records of one row, in chain order. */
export function rowRecords(row: AuditRow): StoredRecord[] {
  try {
    if (!isPack(row)) return [{ ...row, data: JSON.parse(row.data) }];
    return readPack(row.data).map((r) => ({ ...r, seq: row.seq }));
  } catch (error) {
    throw new SecurixError(
      "SX-AUDIT-BROKEN",
      `Audit row #${row.seq} cannot be read (${(error as Error).message}); ` +
        "run `securix audit verify` to see where the chain is broken",
      { cause: error },
    );
  }
}

export interface RecordFilter {
  since?: number | null;
  until?: number | null;
  appId?: string | null;
  entityId?: string | null;
}

/**
 * The precise filter for records out of packs (a pack mixes apps, entities
 * and times, so SQL can only narrow to the packs that may hold a match).
 */
export function recordMatches(record: StoredRecord, filter: RecordFilter): boolean {
  return (filter.since == null || record.at >= filter.since) &&
    (filter.until == null || record.at <= filter.until) &&
    (!filter.appId || record.appId === filter.appId) &&
    (!filter.entityId || record.entityId === filter.entityId);
}
