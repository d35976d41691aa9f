import { and, desc, lt, lte } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { readCheckpoint, writeCheckpoint } from "./chain_meta.ts";

/**
 * Retention: deletes records older than `before` from the start of the chain
 * and leaves a checkpoint (last pruned seq and hash) so the rest still verifies.
 */
export async function pruneAudit(database: Database, before: number): Promise<number> {
  return await database.transaction(async (tx) => {
    const [last] = await tx.select({ seq: auditLog.seq, hash: auditLog.hash }).from(auditLog)
      .where(lt(auditLog.at, before)).orderBy(desc(auditLog.seq)).limit(1);
    if (!last) return 0;
    const deleted = await tx.delete(auditLog).where(and(lte(auditLog.seq, last.seq)));
    const previous = await readCheckpoint(tx);
    await writeCheckpoint(tx, {
      seq: last.seq,
      hash: last.hash,
      pruned: (previous?.pruned ?? 0) + deleted.rowsAffected,
    });
    return deleted.rowsAffected;
  });
}
