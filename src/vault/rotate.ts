import { and, eq, ne } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultRecords } from "../db/schema.ts";
import { open, seal } from "./envelope.ts";
import type { Keyring } from "./keyring.ts";
import { recordAad } from "./store.ts";
import { decryptFailed } from "./vault_error.ts";

export interface RotationResult {
  newKeyId: number;
  reencrypted: number;
  retired: number[];
}

/**
 * Adds a key version and moves every record onto it in batches while the
 * appliance keeps serving. Each record is rewritten with compare-and-swap on
 * its version: a record written meanwhile is already on the new key (writers
 * seal with the active version) or is simply picked up in the next pass.
 */
export async function rotateKey(options: {
  database: Database;
  keyring: Keyring;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  now?: () => number;
  settleMs?: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<RotationResult> {
  const { database, keyring } = options;
  const batchSize = options.batchSize ?? 500;
  const now = options.now ?? Date.now;
  const newKeyId = await keyring.addVersion();
  const newKey = (await keyring.key(newKeyId))!;
  const total = (await database.db.select({ id: vaultRecords.id }).from(vaultRecords)
    .where(ne(vaultRecords.keyId, newKeyId))).length;
  let reencrypted = 0;
  const pass = async () => {
    while (true) {
      const batch = await database.db.select().from(vaultRecords).where(
        ne(vaultRecords.keyId, newKeyId),
      )
        .limit(batchSize);
      if (batch.length === 0) break;
      for (const row of batch) {
        const oldKey = await keyring.key(row.keyId);
        if (!oldKey) throw decryptFailed(row.id);
        const aad = recordAad(row.id, row.purpose);
        let plain: Uint8Array;
        try {
          plain = await open(oldKey, new Uint8Array(row.ciphertext), aad);
        } catch {
          throw decryptFailed(row.id);
        }
        const ciphertext = await seal(newKey, plain, aad);
        const result = await database.db.update(vaultRecords).set({
          keyId: newKeyId,
          ciphertext: ciphertext as unknown as Buffer,
          version: row.version + 1,
          updatedAt: now(),
        }).where(and(eq(vaultRecords.id, row.id), eq(vaultRecords.version, row.version)));
        if (result.rowsAffected === 1) reencrypted++;
      }
      options.onProgress?.(Math.min(reencrypted, total), total);
    }
  };
  await pass();
  // A writer that picked the old active key just before the switch may still
  // be landing its record: wait a moment and sweep once more before retiring.
  await (options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(
    options.settleMs ?? 1_000,
  );
  await pass();
  const retired = await keyring.retireUnused();
  return { newKeyId, reencrypted, retired };
}
