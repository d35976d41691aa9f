import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultKeys, vaultRecords } from "../db/schema.ts";
import { open, seal } from "./envelope.ts";
import type { Keyring } from "./keyring.ts";
import { decryptFailed, isDecryptError, VaultError } from "./vault_error.ts";

/**
 * What a record is bound to: its id and purpose, so its ciphertext opens
 * nowhere else. The purpose is length-prefixed so no (purpose, id) pair can
 * encode like another one. Changing this format makes every record unreadable.
 */
export function recordAad(id: string, purpose: string): Uint8Array {
  return new TextEncoder().encode(`securix-vault:v1:${purpose.length}:${purpose}:${id}`);
}

export interface VaultValue {
  value: string;
  version: number;
}

/** What the store needs of the keyring (tests substitute a part of it). */
export type RecordKeys = Pick<Keyring, "activeKeyId" | "key" | "forget">;

/** How often a write re-seals after racing a rotation before giving up. */
const WRITE_ATTEMPTS = 5;
const KEY_MOVED = Symbol("key moved");

/** A write lands only while its key is active; see Keyring.retireUnused. */
const KEY_IS_ACTIVE = "EXISTS (SELECT 1 FROM vault_keys WHERE id = :keyId AND status = 'active')";

const UPSERT = `INSERT INTO vault_records (id, purpose, key_id, ciphertext, version, updated_at)
  SELECT :id, :purpose, :keyId, :ciphertext, 1, :now WHERE ${KEY_IS_ACTIVE}
  ON CONFLICT (id) DO UPDATE SET purpose = excluded.purpose, key_id = excluded.key_id,
    ciphertext = excluded.ciphertext, version = vault_records.version + 1,
    updated_at = excluded.updated_at
  RETURNING version`;

const UPDATE_IF_VERSION = `UPDATE vault_records
  SET purpose = :purpose, key_id = :keyId, ciphertext = :ciphertext, version = version + 1,
    updated_at = :now
  WHERE id = :id AND version = :expected AND ${KEY_IS_ACTIVE}
  RETURNING version`;

type Sealed = { id: string; purpose: string; keyId: number; ciphertext: Uint8Array; now: number };

/**
 * Encrypted secrets by id. Every write of a value bumps `version`, which
 * callers use as a compare-and-swap guard (token refresh). Key rotation
 * re-encrypts without changing the value and so leaves `version` alone.
 */
export class VaultStore {
  readonly #database: Database;
  readonly #keyring: RecordKeys;
  readonly #now: () => number;

  constructor(deps: { database: Database; keyring: RecordKeys; now?: () => number }) {
    this.#database = deps.database;
    this.#keyring = deps.keyring;
    this.#now = deps.now ?? Date.now;
  }

  /** Creates or replaces a record; returns its new version. */
  async put(id: string, purpose: string, plaintext: string): Promise<number> {
    return await this.#write(id, purpose, plaintext, async (sealed) => {
      const result = await this.#database.client.execute({ sql: UPSERT, args: sealed });
      return result.rows.length === 1 ? Number(result.rows[0].version) : KEY_MOVED;
    });
  }

  /** Replaces a record only while it is at `expectedVersion`; null when it moved on or is gone. */
  async putIfVersion(
    id: string,
    purpose: string,
    plaintext: string,
    expectedVersion: number,
  ): Promise<number | null> {
    return await this.#write(id, purpose, plaintext, async (sealed) => {
      const result = await this.#database.client.execute({
        sql: UPDATE_IF_VERSION,
        args: { ...sealed, expected: expectedVersion },
      });
      if (result.rows.length === 1) return Number(result.rows[0].version);
      return await this.#isActive(sealed.keyId) ? null : KEY_MOVED;
    });
  }

  /**
   * Seals with the active key and writes. When a rotation switched keys in
   * between, the write is refused by the database and sealed again.
   */
  async #write<T>(
    id: string,
    purpose: string,
    plaintext: string,
    attempt: (sealed: Sealed) => Promise<T | typeof KEY_MOVED>,
  ): Promise<T> {
    const bytes = new TextEncoder().encode(plaintext);
    for (let i = 0; i < WRITE_ATTEMPTS; i++) {
      const keyId = await this.#keyring.activeKeyId();
      const key = await this.#keyring.key(keyId);
      if (!key) continue;
      const ciphertext = await seal(key, bytes, recordAad(id, purpose));
      const outcome = await attempt({ id, purpose, keyId, ciphertext, now: this.#now() });
      if (outcome !== KEY_MOVED) return outcome;
    }
    throw new VaultError(
      "SX-VAULT-BUSY",
      `Cannot write vault record "${id}": the active key kept changing during the write`,
      { recordId: id, status: 503 },
    );
  }

  async #isActive(keyId: number): Promise<boolean> {
    const [row] = await this.#database.db.select({ status: vaultKeys.status }).from(vaultKeys)
      .where(eq(vaultKeys.id, keyId));
    return row?.status === "active";
  }

  /** Value and version; null for no such record, SX-VAULT-DECRYPT when it does not open. */
  async get(id: string, purpose: string): Promise<VaultValue | null> {
    const [row] = await this.#database.db.select({
      keyId: vaultRecords.keyId,
      ciphertext: vaultRecords.ciphertext,
      version: vaultRecords.version,
      keyStatus: vaultKeys.status,
    }).from(vaultRecords).leftJoin(vaultKeys, eq(vaultKeys.id, vaultRecords.keyId))
      .where(eq(vaultRecords.id, id)).limit(1);
    if (!row) return null;
    if (row.keyStatus !== "active" && row.keyStatus !== "decrypt_only") {
      // Retired by another process: this one may still hold the key in memory.
      this.#keyring.forget(row.keyId);
      throw decryptFailed(id, `its key version ${row.keyId} is retired or missing`);
    }
    const key = await this.#keyring.key(row.keyId);
    if (!key) throw decryptFailed(id, `its key version ${row.keyId} is not available`);
    try {
      const plain = await open(key, new Uint8Array(row.ciphertext), recordAad(id, purpose));
      return { value: new TextDecoder().decode(plain), version: row.version };
    } catch (error) {
      if (isDecryptError(error)) throw decryptFailed(id, undefined, error);
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await this.#database.db.delete(vaultRecords).where(eq(vaultRecords.id, id));
  }
}
