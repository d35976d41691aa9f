import { asc, gt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { type PackedRecord, packedRecordHash, readPack } from "./audit_pack.ts";
import { GENESIS_HASH } from "./audit_types.ts";
import { chainHash } from "./chain.ts";
import { readCheckpoint, readHead } from "./chain_meta.ts";
import { type AuditRow, isPack } from "./stored_records.ts";

export type VerifyResult =
  | { ok: true; checked: number; pruned: number }
  | { ok: false; checked: number; brokenAt: { seq: number; id: string } | null; problem: string };

type Broken = Extract<VerifyResult, { ok: false }>;

const LINK_BROKEN =
  "its link to the previous record does not match (a record before it was deleted, inserted or reordered)";

/** Where the walk stands: the hash the next record must link to, records checked so far. */
interface Walk {
  prevHash: string;
  checked: number;
}

/**
 * Walks the chain from the retention checkpoint (or the start) and names the
 * first record whose link or content does not match, inside packs too.
 */
export async function verifyChain(
  db: Db,
  // Rows per query: a pack row holds up to a thousand records.
  pageSize = 50,
  onProgress?: (checked: number) => void,
): Promise<VerifyResult> {
  const checkpoint = await readCheckpoint(db);
  const walk: Walk = { prevHash: checkpoint?.hash ?? GENESIS_HASH, checked: 0 };
  let lastSeq = checkpoint?.seq ?? 0;
  while (true) {
    const page = await db.select().from(auditLog).where(gt(auditLog.seq, lastSeq))
      .orderBy(asc(auditLog.seq)).limit(pageSize);
    for (const row of page) {
      const broken = isPack(row) ? checkPack(row, walk) : checkRow(row, walk);
      if (broken) return broken;
      lastSeq = row.seq;
    }
    if (page.length) onProgress?.(walk.checked);
    if (page.length < pageSize) break;
  }
  const head = await readHead(db);
  const expected = (head?.count ?? 0) - (checkpoint?.pruned ?? 0);
  if (head && (head.hash !== walk.prevHash || expected !== walk.checked)) {
    return {
      ok: false,
      checked: walk.checked,
      brokenAt: null,
      problem: `the newest records are missing (expected ${expected} records ending in ${
        head.hash.slice(0, 12)
      }…, found ${walk.checked})`,
    };
  }
  return { ok: true, checked: walk.checked, pruned: checkpoint?.pruned ?? 0 };
}

function checkRow(row: AuditRow, walk: Walk): Broken | null {
  const at = { seq: row.seq, id: row.id };
  if (row.prevHash !== walk.prevHash) return broken(walk, at, LINK_BROKEN);
  if (chainHash(walk.prevHash, row) !== row.hash) {
    return broken(walk, at, "its content does not match its hash (edited)");
  }
  walk.prevHash = row.hash;
  walk.checked++;
  return null;
}

/**
 * A pack links like a row, then each record inside links to the one before
 * it; its header (ids, times, count, last hash) must describe its records,
 * or export filters could be steered around them.
 */
function checkPack(row: AuditRow, walk: Walk): Broken | null {
  const at = { seq: row.seq, id: row.id };
  if (row.prevHash !== walk.prevHash) return broken(walk, at, LINK_BROKEN);
  let records: PackedRecord[];
  try {
    records = readPack(row.data);
  } catch (error) {
    return broken(walk, at, `its records cannot be read (${(error as Error).message})`);
  }
  for (const record of records) {
    if (packedRecordHash(walk.prevHash, record) !== record.hash) {
      return broken(
        walk,
        { seq: row.seq, id: String(record.id) },
        "its content or its link to the record before it does not match " +
          "(edited, or a record before it was deleted or reordered)",
      );
    }
    walk.prevHash = record.hash;
    walk.checked++;
  }
  const ats = records.map((r) => r.at);
  const header = row.hash === walk.prevHash && row.records === records.length &&
    row.id === records[0]?.id && row.at === Math.min(...ats) &&
    row.lastAt === Math.max(...ats) && records.every((r) => r.kind === row.kind);
  if (!header) {
    return broken(
      walk,
      at,
      "its pack header does not match the records in it (a record was removed or the header edited)",
    );
  }
  return null;
}

function broken(walk: Walk, at: Broken["brokenAt"], problem: string): Broken {
  return { ok: false, checked: walk.checked, brokenAt: at, problem };
}
