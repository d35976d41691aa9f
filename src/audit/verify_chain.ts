import { asc, gt } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { GENESIS_HASH } from "./audit_types.ts";
import { chainHash } from "./chain.ts";
import { readCheckpoint, readHead } from "./chain_meta.ts";

export type VerifyResult =
  | { ok: true; checked: number; pruned: number }
  | { ok: false; checked: number; brokenAt: { seq: number; id: string } | null; problem: string };

/**
 * Walks the chain from the retention checkpoint (or the start) and names the
 * first record whose link or content does not match.
 */
export async function verifyChain(db: Db, pageSize = 1000): Promise<VerifyResult> {
  const checkpoint = await readCheckpoint(db);
  let prevHash = checkpoint?.hash ?? GENESIS_HASH;
  let lastSeq = checkpoint?.seq ?? 0;
  let checked = 0;
  while (true) {
    const page = await db.select().from(auditLog).where(gt(auditLog.seq, lastSeq))
      .orderBy(asc(auditLog.seq)).limit(pageSize);
    for (const record of page) {
      const at = { seq: record.seq, id: record.id };
      if (record.prevHash !== prevHash) {
        return {
          ok: false,
          checked,
          brokenAt: at,
          problem:
            "its link to the previous record does not match (a record before it was deleted, inserted or reordered)",
        };
      }
      if (chainHash(prevHash, record) !== record.hash) {
        return {
          ok: false,
          checked,
          brokenAt: at,
          problem: "its content does not match its hash (edited)",
        };
      }
      prevHash = record.hash;
      lastSeq = record.seq;
      checked++;
    }
    if (page.length < pageSize) break;
  }
  const head = await readHead(db);
  const expected = (head?.count ?? 0) - (checkpoint?.pruned ?? 0);
  if (head && (head.hash !== prevHash || expected !== checked)) {
    return {
      ok: false,
      checked,
      brokenAt: null,
      problem: `the newest records are missing (expected ${expected} records ending in ${
        head.hash.slice(0, 12)
      }…, found ${checked})`,
    };
  }
  return { ok: true, checked, pruned: checkpoint?.pruned ?? 0 };
}
