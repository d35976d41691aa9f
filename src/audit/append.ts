import type { InValue, Transaction } from "@libsql/client";
import { type SQL, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { type AuditEvent, GENESIS_HASH } from "./audit_types.ts";
import { canonicalJson } from "./canonical_json.ts";
import { chainHash } from "./chain.ts";
import { type ChainHead, type Checkpoint, CHECKPOINT_KEY, HEAD_KEY } from "./chain_meta.ts";

/** Runs one SQL statement with positional `?` arguments and returns its rows. */
type Exec = (text: string, args: InValue[]) => Promise<Record<string, unknown>[]>;

const COLUMNS = "id, at, kind, app_id, agent_id, entity_id, provider, data, prev_hash, hash";
// SQLite caps bound parameters; 10 columns × 50 rows stays well below.
const ROWS_PER_INSERT = 50;

/**
 * Appends events to the chain inside the caller's write transaction. The
 * head is read in that transaction, and write transactions serialize (in
 * this process and across processes on one database), so the batching writer
 * and every direct caller extend one chain. When the caller's transaction
 * rolls back, its records go with the change they describe.
 */
export function appendAudit(tx: Tx, events: readonly AuditEvent[]): Promise<void> {
  return appendWith(drizzleExec(tx), events);
}

/**
 * The batching writer's path: the same chain, written through the driver's
 * own transaction. Drizzle's query builder costs several times SQLite's
 * insert per row, and this runs for every proxied request.
 */
export async function appendAuditBatch(
  database: Database,
  events: readonly AuditEvent[],
): Promise<void> {
  const tx = await database.client.transaction("write");
  try {
    await appendWith(rawExec(tx), events);
    await tx.commit();
  } finally {
    tx.close();
  }
}

async function appendWith(exec: Exec, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const head = await readChainState(exec);
  let prevHash = head.hash;
  for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
    const rows: InValue[][] = [];
    for (const event of events.slice(i, i + ROWS_PER_INSERT)) {
      const row = chainedRow(event, prevHash);
      rows.push(row);
      prevHash = row[9] as string;
    }
    const values = rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
    await exec(`INSERT INTO audit_log (${COLUMNS}) VALUES ${values}`, rows.flat());
  }
  await exec(
    "INSERT INTO meta (key, value) VALUES (?, ?) " +
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [HEAD_KEY, JSON.stringify({ hash: prevHash, count: head.count + events.length })],
  );
}

/** One audit_log row in COLUMNS order, linked to `prevHash`; its own hash comes last. */
function chainedRow(event: AuditEvent, prevHash: string): InValue[] {
  const fields = {
    id: auditId(event.at),
    at: event.at,
    kind: event.kind,
    appId: event.appId ?? null,
    agentId: event.agentId ?? null,
    entityId: event.entityId ?? null,
    provider: event.provider ?? null,
    data: canonicalJson(event.data),
  };
  const hash = chainHash(prevHash, fields);
  return [
    fields.id,
    fields.at,
    fields.kind,
    fields.appId,
    fields.agentId,
    fields.entityId,
    fields.provider,
    fields.data,
    prevHash,
    hash,
  ];
}

/**
 * The hash the next record links to: the recorded head, which survives
 * retention pruning every record (the checkpoint then holds the same hash).
 * The same rows chain_meta.ts reads, without the query builder.
 */
async function readChainState(exec: Exec): Promise<ChainHead> {
  const rows = await exec(
    "SELECT key, value FROM meta WHERE key IN (?, ?)",
    [HEAD_KEY, CHECKPOINT_KEY],
  );
  const byKey = new Map(rows.map((r) => [String(r.key), JSON.parse(String(r.value))]));
  const head = byKey.get(HEAD_KEY) as ChainHead | undefined;
  if (head) return head;
  const checkpoint = byKey.get(CHECKPOINT_KEY) as Checkpoint | undefined;
  return { hash: checkpoint?.hash ?? GENESIS_HASH, count: 0 };
}

function rawExec(tx: Transaction): Exec {
  return async (text, args) => (await tx.execute({ sql: text, args })).rows;
}

/** Positional `?` arguments as drizzle parameters, for the few events a state change writes. */
function drizzleExec(tx: Tx): Exec {
  return async (text, args) => {
    const parts = text.split("?");
    const chunks: SQL[] = [sql.raw(parts[0])];
    for (let i = 1; i < parts.length; i++) chunks.push(sql`${args[i - 1]}`, sql.raw(parts[i]));
    return await tx.all<Record<string, unknown>>(sql.join(chunks));
  };
}

/**
 * Time-ordered ids (`aud_` + 9 base-36 digits of the millisecond + 80 random
 * bits): new rows land at the end of the id index instead of at random pages,
 * which keeps batch inserts cheap as the log grows.
 */
function auditId(at: number): string {
  return `aud_${Math.max(0, Math.floor(at)).toString(36).padStart(9, "0")}${newId("").slice(1)}`;
}
