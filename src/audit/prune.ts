import { eq, lt, lte, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { activityHourly, auditLog } from "../db/schema.ts";
import { HOUR_MS } from "./activity_rollup.ts";
import type { Actor } from "./actor.ts";
import { recordAdminEvent } from "./admin_event.ts";
import { readCheckpoint, writeCheckpoint } from "./chain_meta.ts";

/**
 * Retention: deletes records older than `before` from the start of the chain
 * and leaves a checkpoint (last pruned seq and hash) so the rest still
 * verifies. A pack goes once its newest record is older than `before`. The
 * prune itself is recorded (who, how many, up to when) in its transaction.
 * The activity rollup loses every hour that ended by `before` with it.
 */
export async function pruneAudit(
  database: Database,
  before: number,
  by: Actor,
  now: number,
): Promise<number> {
  return await database.transaction(async (tx) => {
    // An hour still partly inside retention is kept whole (its calls may still be in the log).
    await tx.delete(activityHourly).where(lte(activityHourly.hour, before - HOUR_MS));
    // Answered from audit_log_until_idx, so no pack row is read unless it goes: the
    // unary + keeps SQLite from walking the rowid backwards for max() instead.
    const [{ seq }] = await tx.select({ seq: sql<number | null>`max(+${auditLog.seq})` })
      .from(auditLog).where(lt(sql`coalesce(${auditLog.lastAt}, ${auditLog.at})`, before));
    if (seq === null) return 0;
    const [last] = await tx.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog)
      .where(eq(auditLog.seq, seq));
    const previous = await readCheckpoint(tx);
    const [{ records }] = await tx.select({ records: sql<number>`coalesce(sum(records), 0)` })
      .from(auditLog).where(lte(auditLog.seq, last.seq));
    await tx.delete(auditLog).where(lte(auditLog.seq, last.seq));
    const checkpoint = {
      seq: last.seq,
      hash: last.hash,
      pruned: (previous?.pruned ?? 0) + Number(records),
    };
    await writeCheckpoint(tx, checkpoint);
    // verify accepts a checkpoint only with this record after it: all three must match.
    await recordAdminEvent(tx, {
      kind: "admin.audit.pruned",
      by,
      data: {
        records: Number(records),
        before,
        throughSeq: last.seq,
        hash: last.hash,
        pruned: checkpoint.pruned,
      },
    }, now);
    return Number(records);
  });
}
