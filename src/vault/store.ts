import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultRecords } from "../db/schema.ts";
import { EnvelopeError, open, seal } from "./envelope.ts";
import type { Keyring } from "./keyring.ts";
import { decryptFailed } from "./vault_error.ts";

/** What a record is bound to: its id and purpose, so it opens nowhere else. */
export function recordAad(id: string, purpose: string): Uint8Array {
  return new TextEncoder().encode(`securix-vault:v1:${purpose.length}:${purpose}:${id}`);
}

export interface VaultValue {
  value: string;
  version: number;
}

/**
 * Encrypted secrets by id. Every write bumps `version`, which callers use as
 * a compare-and-swap guard (token refresh, key rotation).
 */
export class VaultStore {
  readonly #database: Database;
  readonly #keyring: Keyring;
  readonly #now: () => number;

  constructor(deps: { database: Database; keyring: Keyring; now?: () => number }) {
    this.#database = deps.database;
    this.#keyring = deps.keyring;
    this.#now = deps.now ?? Date.now;
  }

  async #seal(
    id: string,
    purpose: string,
    plaintext: string,
  ): Promise<{ keyId: number; ciphertext: Uint8Array }> {
    const keyId = await this.#keyring.activeKeyId();
    const key = await this.#keyring.key(keyId);
    if (!key) throw decryptFailed(id);
    const ciphertext = await seal(key, new TextEncoder().encode(plaintext), recordAad(id, purpose));
    return { keyId, ciphertext };
  }

  /** Creates or replaces a record; returns its new version. */
  async put(id: string, purpose: string, plaintext: string): Promise<number> {
    const { keyId, ciphertext } = await this.#seal(id, purpose, plaintext);
    const [row] = await this.#database.db.insert(vaultRecords).values({
      id,
      purpose,
      keyId,
      ciphertext: ciphertext as unknown as Buffer,
      version: 1,
      updatedAt: this.#now(),
    }).onConflictDoUpdate({
      target: vaultRecords.id,
      set: {
        purpose,
        keyId,
        ciphertext: ciphertext as unknown as Buffer,
        version: sql`${vaultRecords.version} + 1`,
        updatedAt: this.#now(),
      },
    }).returning({ version: vaultRecords.version });
    return row.version;
  }

  /** Replaces a record only if it is still at `expectedVersion`; null when it moved on. */
  async putIfVersion(
    id: string,
    purpose: string,
    plaintext: string,
    expectedVersion: number,
  ): Promise<number | null> {
    const { keyId, ciphertext } = await this.#seal(id, purpose, plaintext);
    const rows = await this.#database.db.update(vaultRecords).set({
      keyId,
      ciphertext: ciphertext as unknown as Buffer,
      version: expectedVersion + 1,
      updatedAt: this.#now(),
    }).where(and(eq(vaultRecords.id, id), eq(vaultRecords.version, expectedVersion)))
      .returning({ version: vaultRecords.version });
    return rows[0]?.version ?? null;
  }

  async get(id: string, purpose: string): Promise<VaultValue | null> {
    const [row] = await this.#database.db.select().from(vaultRecords).where(eq(vaultRecords.id, id))
      .limit(1);
    if (!row) return null;
    const key = await this.#keyring.key(row.keyId);
    if (!key) throw decryptFailed(id);
    try {
      const plain = await open(key, new Uint8Array(row.ciphertext), recordAad(id, purpose));
      return { value: new TextDecoder().decode(plain), version: row.version };
    } catch (error) {
      if (error instanceof EnvelopeError) throw decryptFailed(id);
      throw error;
    }
  }

  async delete(id: string): Promise<void> {
    await this.#database.db.delete(vaultRecords).where(eq(vaultRecords.id, id));
  }
}
