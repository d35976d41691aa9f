import type { InValue, Transaction } from "@libsql/client";
import { type SQL, sql } from "drizzle-orm";
import type { Database, Tx } from "../db/client.ts";
import { rollupUpsert } from "./activity_rollup.ts";
import { auditIds } from "./audit_id.ts";
import { buildPack, type Pack } from "./audit_pack.ts";
import { type AuditEvent, GENESIS_HASH } from "./audit_types.ts";
import { chainedFields, chainHash } from "./chain.ts";
import { type ChainHead, type Checkpoint, CHECKPOINT_KEY, HEAD_KEY } from "./chain_meta.ts";

/** Runs one SQL statement with positional `?` arguments and returns its rows. */
type Exec = (text: string, args: InValue[]) => Promise<Record<string, unknown>[]>;

const COLUMNS = "id, at, kind, app_id, agent_id, entity_id, provider, data, prev_hash, hash";
// SQLite caps bound parameters; 10 columns × 50 rows stays well below.
const ROWS_PER_INSERT = 50;
// A pack stays a few hundred KB even when a failed write let a backlog build up.
const PACK_LIMIT = 1000;

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
 * own transaction, each run of same-kind events as packs (audit_pack.ts).
 * Drizzle's query builder costs several times SQLite's insert per row, and
 * this runs for every proxied request.
 */
export async function appendAuditBatch(
  database: Database,
  events: readonly AuditEvent[],
): Promise<void> {
  const tx = await database.client.transaction("write");
  try {
    await appendWith(rawExec(tx), events, true);
    await tx.commit();
  } finally {
    tx.close();
  }
}

async function appendWith(exec: Exec, events: readonly AuditEvent[], pack = false): Promise<void> {
  if (events.length === 0) return;
  const head = await readChainState(exec);
  let prevHash = head.hash;
  const ids = auditIds(events.map((e) => e.at));
  for (const [from, to] of pack ? packRanges(events) : [[0, events.length]]) {
    const slice = events.slice(from, to);
    prevHash = pack && slice.length > 1
      ? await insertPack(exec, slice, ids.slice(from, to), prevHash)
      : await insertRows(exec, slice, ids.slice(from, to), prevHash);
  }
  await exec(
    "INSERT INTO meta (key, value) VALUES (?, ?) " +
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    [HEAD_KEY, JSON.stringify({ hash: prevHash, count: head.count + events.length })],
  );
  // In the same transaction as the records: the rollup never counts a call the log lacks.
  const rollup = rollupUpsert(events);
  if (rollup) await exec(rollup.sql, rollup.args);
}

/** One row for the whole run; returns its last hash. */
async function insertPack(
  exec: Exec,
  events: readonly AuditEvent[],
  ids: readonly string[],
  prevHash: string,
): Promise<string> {
  const p = buildPack(events, ids, prevHash);
  const insert = packInsert(p);
  await exec(insert.sql, insert.args);
  return p.hash;
}

/** The statement that stores a pack (exported for the append bench's breakdown). */
export function packInsert(p: Pack): { sql: string; args: InValue[] } {
  return {
    sql: `INSERT INTO audit_log (${COLUMNS}, records, last_at) ` +
      "VALUES (?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?, ?, ?)",
    args: [p.id, p.at, p.kind, p.data, p.prevHash, p.hash, p.records, p.lastAt],
  };
}

/** [from, to) runs of one kind and at most PACK_LIMIT events, in order. */
function packRanges(events: readonly AuditEvent[]): [number, number][] {
  const ranges: [number, number][] = [];
  let from = 0;
  for (let i = 1; i <= events.length; i++) {
    if (i === events.length || events[i].kind !== events[from].kind || i - from === PACK_LIMIT) {
      ranges.push([from, i]);
      from = i;
    }
  }
  return ranges;
}

/** One row per event; returns the last hash. */
async function insertRows(
  exec: Exec,
  events: readonly AuditEvent[],
  ids: readonly string[],
  prevHash: string,
): Promise<string> {
  for (let i = 0; i < events.length; i += ROWS_PER_INSERT) {
    const rows: InValue[][] = [];
    for (let j = i; j < Math.min(i + ROWS_PER_INSERT, events.length); j++) {
      const row = chainedRow(events[j], ids[j], prevHash);
      rows.push(row);
      prevHash = row[9] as string;
    }
    const values = rows.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
    await exec(`INSERT INTO audit_log (${COLUMNS}) VALUES ${values}`, rows.flat());
  }
  return prevHash;
}

/** One audit_log row in COLUMNS order, linked to `prevHash`; its own hash comes last. */
function chainedRow(event: AuditEvent, id: string, prevHash: string): InValue[] {
  const fields = chainedFields(event, id);
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
