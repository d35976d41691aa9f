import type { Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { auditLog } from "../db/schema.ts";
import { type AuditEvent, GENESIS_HASH } from "./audit_types.ts";
import { canonicalJson } from "./canonical_json.ts";
import { chainHash } from "./chain.ts";
import { readCheckpoint, readHead, writeHead } from "./chain_meta.ts";

/**
 * Appends events to the chain inside the caller's write transaction. The
 * head is read in that transaction, and write transactions serialize (in
 * this process and across processes on one database), so the batching writer
 * and every direct caller extend one chain. When the caller's transaction
 * rolls back, its records go with the change they describe.
 */
export async function appendAudit(tx: Tx, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  let prevHash = await chainTip(tx);
  const rows = [];
  for (const event of events) {
    const fields = {
      id: newId("aud"),
      at: event.at,
      kind: event.kind,
      appId: event.appId ?? null,
      agentId: event.agentId ?? null,
      entityId: event.entityId ?? null,
      provider: event.provider ?? null,
      data: canonicalJson(event.data),
    };
    const hash = chainHash(prevHash, fields);
    rows.push({ ...fields, prevHash, hash });
    prevHash = hash;
  }
  // SQLite caps bound parameters; 10 columns × 50 rows stays well below.
  for (let i = 0; i < rows.length; i += 50) {
    await tx.insert(auditLog).values(rows.slice(i, i + 50));
  }
  await writeHead(tx, prevHash, rows.length);
}

/**
 * The hash the next record links to: the recorded head, which survives
 * retention pruning every record (the checkpoint then holds the same hash).
 */
async function chainTip(tx: Tx): Promise<string> {
  const head = await readHead(tx);
  if (head) return head.hash;
  return (await readCheckpoint(tx))?.hash ?? GENESIS_HASH;
}
