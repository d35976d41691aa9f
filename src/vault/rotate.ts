import { and, asc, eq, gt, ne } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultRecords } from "../db/schema.ts";
import { open, seal } from "./envelope.ts";
import type { Keyring } from "./keyring.ts";
import { recordAad } from "./store.ts";
import { decryptFailed, isDecryptError } from "./vault_error.ts";

export interface RotationProgress {
  /** Records this rotation re-encrypted so far. */
  reencrypted: number;
  /** Records a writer replaced or deleted first (they are already on the new key or gone). */
  skipped: number;
  /** Records on older versions when the rotation began. */
  total: number;
}

export interface RotationResult extends RotationProgress {
  newKeyId: number;
  /** Versions retired at the end (nothing used them any more). */
  retired: number[];
  durationMs: number;
}

/** What rotation needs of the keyring (tests wrap it to widen race windows). */
export type RotationKeys = Pick<Keyring, "addVersion" | "activeKeyId" | "key" | "retireUnused">;

export interface RotateOptions {
  database: Database;
  keyring: RotationKeys;
  /** Records read and re-encrypted per batch; default 500. */
  batchSize?: number;
  onProgress?: (progress: RotationProgress) => void;
  now?: () => number;
}

type Row = Pick<
  typeof vaultRecords.$inferSelect,
  "id" | "purpose" | "keyId" | "ciphertext" | "version"
>;
type Outcome = "resealed" | "skipped" | "key-moved";

/**
 * Only the key and ciphertext change: the value is the same, so `version`
 * stays and a refresh holding that version still wins its compare-and-swap.
 * The record must be exactly as read (version and key), else a writer got
 * there first and its newer value is kept.
 */
const RESEAL = `UPDATE vault_records SET key_id = :target, ciphertext = :ciphertext
  WHERE id = :id AND version = :version AND key_id = :old
    AND EXISTS (SELECT 1 FROM vault_keys WHERE id = :target AND status = 'active')`;

/**
 * Adds a key version and moves every record onto it in batches while the
 * appliance keeps serving, then retires the versions nothing uses. Writers
 * seal with the active version only (the database refuses anything else), so
 * the set of records on old versions only shrinks and the sweep ends.
 */
export async function rotateKey(options: RotateOptions): Promise<RotationResult> {
  const { database, keyring } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 500));
  const newKeyId = await keyring.addVersion();
  const progress: RotationProgress = { reencrypted: 0, skipped: 0, total: 0 };
  progress.total = await database.client.execute({
    sql: "SELECT count(*) AS n FROM vault_records WHERE key_id != ?",
    args: [newKeyId],
  }).then((r) => Number(r.rows[0].n));
  let after: string | null = null;
  while (true) {
    // Follows a newer version should another rotation start meanwhile.
    const target = await keyring.activeKeyId();
    const batch = await nextBatch(database, target, after ?? "", batchSize);
    if (batch.length === 0) {
      if (after === null) break;
      after = null; // one more sweep from the start proves nothing is left
      continue;
    }
    const moved = await resealBatch(database, keyring, target, batch, progress);
    after = moved ? null : batch[batch.length - 1].id;
    options.onProgress?.({ ...progress });
  }
  const retired = await keyring.retireUnused();
  return { newKeyId, ...progress, retired, durationMs: now() - started };
}

async function nextBatch(
  database: Database,
  target: number,
  after: string,
  limit: number,
): Promise<Row[]> {
  return await database.db.select({
    id: vaultRecords.id,
    purpose: vaultRecords.purpose,
    keyId: vaultRecords.keyId,
    ciphertext: vaultRecords.ciphertext,
    version: vaultRecords.version,
  }).from(vaultRecords).where(and(ne(vaultRecords.keyId, target), gt(vaultRecords.id, after)))
    .orderBy(asc(vaultRecords.id)).limit(limit);
}

/** Re-encrypts one batch; true when the active key changed under it (start over). */
async function resealBatch(
  database: Database,
  keyring: RotationKeys,
  target: number,
  batch: Row[],
  progress: RotationProgress,
): Promise<boolean> {
  const targetKey = await keyring.key(target);
  if (!targetKey) return true;
  for (const row of batch) {
    const outcome = await reseal(database, keyring, { target, targetKey }, row);
    if (outcome === "key-moved") return true;
    progress[outcome === "resealed" ? "reencrypted" : "skipped"]++;
  }
  return false;
}

async function reseal(
  database: Database,
  keyring: RotationKeys,
  to: { target: number; targetKey: CryptoKey },
  row: Row,
): Promise<Outcome> {
  const aad = recordAad(row.id, row.purpose);
  const plain = await openRow(database, keyring, row, aad);
  if (plain === null) return "skipped";
  const ciphertext = await seal(to.targetKey, plain, aad);
  const result = await database.client.execute({
    sql: RESEAL,
    args: { target: to.target, ciphertext, id: row.id, version: row.version, old: row.keyId },
  });
  if (result.rowsAffected === 1) return "resealed";
  return await keyring.activeKeyId() === to.target ? "skipped" : "key-moved";
}

/**
 * The plaintext of a row as read, or null when the row has changed since
 * (its key may be gone by now). A row that is unchanged and does not open is
 * a real failure: rotation stops and names it rather than drop it.
 */
async function openRow(
  database: Database,
  keyring: RotationKeys,
  row: Row,
  aad: Uint8Array,
): Promise<Uint8Array | null> {
  try {
    const key = await keyring.key(row.keyId);
    if (key) return await open(key, new Uint8Array(row.ciphertext), aad);
  } catch (error) {
    if (!isDecryptError(error)) throw error;
  }
  const [now] = await database.db.select({
    version: vaultRecords.version,
    keyId: vaultRecords.keyId,
  })
    .from(vaultRecords).where(eq(vaultRecords.id, row.id));
  if (!now || now.version !== row.version || now.keyId !== row.keyId) return null;
  throw decryptFailed(row.id, `it does not open with key version ${row.keyId}; rotation stopped`);
}
