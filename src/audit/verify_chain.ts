import { asc, gt, lte } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { type PackedRecord, packedRecordHash, readPack } from "./audit_pack.ts";
import { GENESIS_HASH } from "./audit_types.ts";
import { chainHash } from "./chain.ts";
import { type Checkpoint, readCheckpoint, readHead } from "./chain_meta.ts";
import { type AuditRow, isPack } from "./stored_records.ts";

/** One place the chain does not hold; `seq`/`id` null when it is about the chain as a whole. */
export interface ChainBreak {
  seq: number | null;
  id: string | null;
  problem: string;
}

export type VerifyResult =
  | { ok: true; checked: number; pruned: number }
  | {
    ok: false;
    /** Records whose content and link matched. */
    checked: number;
    pruned: number;
    /** Every break found, in chain order (at most MAX_BREAKS; `more` counts the rest). */
    breaks: ChainBreak[];
    more: number;
    /** The first break, as `breaks[0]`. */
    brokenAt: { seq: number; id: string } | null;
    problem: string;
  };

/** A head kept outside the database (signed_head.ts): record number `seq` must hash to `hash`. */
export interface ExpectedHead {
  seq: number;
  hash: string;
}

export interface VerifyOptions {
  /** Rows per query: a pack row holds up to a thousand records. Default 50. */
  pageSize?: number;
  onProgress?: (checked: number) => void;
  expectHead?: ExpectedHead;
}

const MAX_BREAKS = 1_000;

const LINK_BROKEN =
  "its link to the previous record does not match (a record before it was deleted, inserted or reordered)";

/**
 * Where the walk stands: the hash the next record must link to, records
 * checked and seen, breaks found. After a break the walk goes on from the
 * broken record's stored hash, so one damaged record does not hide the rest.
 */
interface Walk {
  prevHash: string;
  checked: number;
  /** Record number of the last record seen, counting pruned ones (1-based, as head.count). */
  position: number;
  breaks: ChainBreak[];
  more: number;
  checkpoint: Checkpoint | null;
  /** An admin.audit.pruned record that accounts for the checkpoint was seen. */
  pruneRecorded: boolean;
  expectHead?: ExpectedHead;
  headFound: boolean;
}

/**
 * Walks the chain from the retention checkpoint (or the start) and names
 * every record whose link or content does not match, inside packs too.
 * A checkpoint counts only with the prune record that made it, and a head
 * kept outside the database (`expectHead`) must be found in the chain.
 */
export async function verifyChain(
  db: Db,
  pageSizeOrOptions: number | VerifyOptions = {},
  onProgress?: (checked: number) => void,
): Promise<VerifyResult> {
  const options = typeof pageSizeOrOptions === "number"
    ? { pageSize: pageSizeOrOptions, onProgress }
    : { onProgress, ...pageSizeOrOptions };
  const pageSize = options.pageSize ?? 50;
  const checkpoint = await readCheckpoint(db);
  const pruned = checkpoint?.pruned ?? 0;
  const walk: Walk = {
    prevHash: checkpoint?.hash ?? GENESIS_HASH,
    checked: 0,
    position: pruned,
    breaks: [],
    more: 0,
    checkpoint,
    pruneRecorded: false,
    expectHead: options.expectHead,
    headFound: false,
  };
  checkExpectedBeforeWalk(walk);
  if (checkpoint) await checkBelowCheckpoint(db, checkpoint, walk);
  let lastSeq = checkpoint?.seq ?? 0;
  while (true) {
    const page = await db.select().from(auditLog).where(gt(auditLog.seq, lastSeq))
      .orderBy(asc(auditLog.seq)).limit(pageSize);
    for (const row of page) {
      if (isPack(row)) checkPack(row, walk);
      else checkRow(row, walk);
      lastSeq = row.seq;
    }
    if (page.length) options.onProgress?.(walk.checked);
    if (page.length < pageSize) break;
  }
  if (checkpoint && !walk.pruneRecorded) {
    addBreak(walk, {
      seq: checkpoint.seq,
      id: null,
      problem:
        `the retention checkpoint (${checkpoint.pruned} records through row #${checkpoint.seq}) ` +
        "has no admin.audit.pruned record after it: the oldest records were deleted outside retention",
    });
  }
  const expected = walk.expectHead;
  if (expected && !walk.headFound) {
    addBreak(walk, {
      seq: null,
      id: null,
      problem:
        `the log ends at record ${walk.position}, before the expected head (record ${expected.seq}, ` +
        `${expected.hash.slice(0, 12)}…): the newest records were deleted`,
    });
  }
  const head = await readHead(db);
  const seen = walk.position - pruned;
  const expectedCount = (head?.count ?? 0) - pruned;
  // A count off by the records a break already names is that break, not another.
  const countOff = expectedCount !== seen && walk.breaks.length === 0;
  if (head && (head.hash !== walk.prevHash || countOff)) {
    addBreak(walk, {
      seq: null,
      id: null,
      problem: `the newest records are missing (expected ${expectedCount} records ending in ${
        head.hash.slice(0, 12)
      }…, found ${seen})`,
    });
  }
  if (walk.breaks.length === 0) return { ok: true, checked: walk.checked, pruned };
  const [first] = walk.breaks;
  return {
    ok: false,
    checked: walk.checked,
    pruned,
    breaks: walk.breaks,
    more: walk.more,
    brokenAt: first.seq === null ? null : { seq: first.seq, id: first.id ?? "" },
    problem: first.problem,
  };
}

/**
 * Pruning deletes every row through the checkpoint, and the walk starts after
 * it: a row found there was put in afterwards (SQLite takes an explicit low
 * seq), where export and tail would show it unchecked.
 */
async function checkBelowCheckpoint(db: Db, checkpoint: Checkpoint, walk: Walk): Promise<void> {
  const rows = await db.select({ seq: auditLog.seq, id: auditLog.id }).from(auditLog)
    .where(lte(auditLog.seq, checkpoint.seq)).orderBy(asc(auditLog.seq)).limit(MAX_BREAKS + 1);
  for (const row of rows) {
    addBreak(walk, {
      seq: row.seq,
      id: row.id,
      problem: `it lies at or before the retention checkpoint (row #${checkpoint.seq}), ` +
        "whose rows were all pruned: it was inserted after the prune",
    });
  }
}

/** An expected head at or before the checkpoint can only be compared with the checkpoint. */
function checkExpectedBeforeWalk(walk: Walk): void {
  const expected = walk.expectHead;
  if (!expected) return;
  const pruned = walk.checkpoint?.pruned ?? 0;
  if (expected.seq > pruned) return;
  walk.headFound = true;
  if (expected.seq === pruned && expected.hash === walk.prevHash) return;
  addBreak(walk, {
    seq: null,
    id: null,
    problem: expected.seq === pruned
      ? `the expected head (record ${expected.seq}) does not match the retention checkpoint`
      : `the expected head (record ${expected.seq}) lies before the retention checkpoint ` +
        `(${pruned} records pruned) and cannot be checked: keep a newer head`,
  });
}

/** Counts one record; compares it with the expected head when it is that record. */
function seen(walk: Walk, at: { seq: number; id: string }, hash: string): void {
  walk.position++;
  const expected = walk.expectHead;
  if (!expected || walk.position !== expected.seq) return;
  walk.headFound = true;
  if (hash !== expected.hash) {
    addBreak(walk, {
      ...at,
      problem: `it does not match the expected head (record ${expected.seq}, ${
        expected.hash.slice(0, 12)
      }…): the log was rewritten from here`,
    });
  }
}

/** The prune record that made the current checkpoint (prune.ts writes it after the delete). */
function notePrune(walk: Walk, kind: string, data: unknown): void {
  const checkpoint = walk.checkpoint;
  if (!checkpoint || kind !== "admin.audit.pruned" || typeof data !== "object" || !data) return;
  const d = data as Record<string, unknown>;
  if (d.throughSeq !== checkpoint.seq) return;
  // Written since tamper evidence covers the checkpoint; older prune records lack them.
  if (d.hash !== undefined && d.hash !== checkpoint.hash) return;
  if (d.pruned !== undefined && d.pruned !== checkpoint.pruned) return;
  walk.pruneRecorded = true;
}

function checkRow(row: AuditRow, walk: Walk): void {
  const at = { seq: row.seq, id: row.id };
  let ok = true;
  if (row.prevHash !== walk.prevHash) {
    addBreak(walk, { ...at, problem: LINK_BROKEN });
    ok = false;
  }
  if (chainHash(row.prevHash, row) !== row.hash) {
    addBreak(walk, { ...at, problem: "its content does not match its hash (edited)" });
    ok = false;
  }
  if (ok) {
    walk.checked++;
    notePrune(walk, row.kind, parseOrNull(row.data));
  }
  seen(walk, at, row.hash);
  walk.prevHash = row.hash;
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * A pack links like a row, then each record inside links to the one before
 * it; its header (ids, times, count, last hash) must describe its records,
 * or export filters could be steered around them.
 */
function checkPack(row: AuditRow, walk: Walk): void {
  const at = { seq: row.seq, id: row.id };
  if (row.prevHash !== walk.prevHash) {
    addBreak(walk, { ...at, problem: LINK_BROKEN });
    walk.prevHash = row.prevHash;
  }
  let records: PackedRecord[];
  try {
    records = readPack(row.data);
  } catch (error) {
    addBreak(walk, { ...at, problem: `its records cannot be read (${(error as Error).message})` });
    walk.prevHash = row.hash;
    return;
  }
  for (const record of records) {
    const where = { seq: row.seq, id: String(record.id) };
    if (packedRecordHash(walk.prevHash, record) !== record.hash) {
      addBreak(walk, {
        ...where,
        problem: "its content or its link to the record before it does not match " +
          "(edited, or a record before it was deleted or reordered)",
      });
    } else {
      walk.checked++;
      notePrune(walk, record.kind, record.data);
    }
    seen(walk, where, record.hash);
    walk.prevHash = record.hash;
  }
  const ats = records.map((r) => r.at);
  const header = row.hash === walk.prevHash && row.records === records.length &&
    row.id === records[0]?.id && row.at === Math.min(...ats) &&
    row.lastAt === Math.max(...ats) && records.every((r) => r.kind === row.kind);
  if (!header) {
    addBreak(walk, {
      ...at,
      problem:
        "its pack header does not match the records in it (a record was removed or the header edited)",
    });
    walk.prevHash = row.hash;
  }
}

function addBreak(walk: Walk, found: ChainBreak): void {
  if (walk.breaks.length < MAX_BREAKS) walk.breaks.push(found);
  else walk.more++;
}
