import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultKeys } from "../db/schema.ts";
import { deriveSubkey, LABELS } from "./derive.ts";
import { importAesKey, open, seal } from "./envelope.ts";
import { isDecryptError, masterKeyMismatch, VaultError } from "./vault_error.ts";

export type KeyStatus = "active" | "decrypt_only" | "retired";

export interface KeyVersion {
  id: number;
  status: KeyStatus;
  createdAt: number;
  retiredAt: number | null;
  /** How many vault records are sealed with this version. */
  records: number;
}

/** The wrapped key is bound to its version: a row copied onto another id does not unwrap. */
const wrapAad = (id: number) => new TextEncoder().encode(`securix-vault-key:v1:${id}`);

// Spelled out: drizzle renders columns of a single-table select unqualified,
// and a bare "id" inside these subqueries would mean vault_records.id.
const KEY_ID = sql.raw(`"vault_keys"."id"`);
const RECORDS_USING_KEY = sql`EXISTS (SELECT 1 FROM vault_records r WHERE r.key_id = ${KEY_ID})`;

/**
 * Versioned key-encryption keys: each a random AES-256 key, wrapped (AES-GCM)
 * by a key derived from the master key. New records are sealed with the
 * active version; decrypt-only versions stay readable until rotation has moved
 * every record off them; then they are retired.
 *
 * Retiring erases the wrapped key material (the row stays, so version numbers
 * are never reused and `vault status` keeps the history): a ciphertext sealed
 * with a retired version, e.g. an old row put back from a backup, can never be
 * opened again. Processes that still hold the key in memory drop it when the
 * store sees the version is retired (see VaultStore.get).
 */
export class Keyring {
  readonly #database: Database;
  readonly #wrapping: CryptoKey;
  readonly #now: () => number;
  readonly #keys = new Map<number, CryptoKey>();
  #loading: Promise<void> | null = null;

  private constructor(database: Database, wrapping: CryptoKey, now: () => number) {
    this.#database = database;
    this.#wrapping = wrapping;
    this.#now = now;
  }

  /**
   * Unlocks the keyring, creating version 1 on an empty vault. Throws
   * SX-MASTER-KEY-MISMATCH when the stored versions were wrapped by another
   * master key, before anything is served.
   */
  static async open(
    database: Database,
    masterKey: Uint8Array,
    now: () => number = Date.now,
  ): Promise<Keyring> {
    const raw = await deriveSubkey(masterKey, LABELS.keyWrapping);
    const keyring = new Keyring(database, await importAesKey(raw, ["encrypt", "decrypt"]), now);
    const [any] = await database.db.select({ id: vaultKeys.id }).from(vaultKeys).limit(1);
    if (!any) await keyring.#createFirst();
    await keyring.#reload();
    return keyring;
  }

  async #createFirst(): Promise<void> {
    const wrappedKey = await this.#newWrappedKey(1);
    // Two processes starting on an empty vault race here: one insert wins and
    // the other unwraps the winner's key in #reload.
    await this.#database.db.insert(vaultKeys).values({
      id: 1,
      wrappedKey,
      status: "active",
      createdAt: this.#now(),
      retiredAt: null,
    }).onConflictDoNothing();
  }

  async #newWrappedKey(id: number): Promise<Buffer> {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    return await seal(this.#wrapping, raw, wrapAad(id)) as unknown as Buffer;
  }

  /** Unwraps usable versions not in memory yet; concurrent callers share one load. */
  #reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => this.#loading = null);
    return this.#loading;
  }

  async #load(): Promise<void> {
    const rows = await this.#database.db.select().from(vaultKeys).where(
      inArray(vaultKeys.status, ["active", "decrypt_only"]),
    );
    for (const row of rows) {
      if (this.#keys.has(row.id)) continue;
      try {
        const raw = await open(this.#wrapping, new Uint8Array(row.wrappedKey), wrapAad(row.id));
        this.#keys.set(row.id, await importAesKey(raw, ["encrypt", "decrypt"]));
      } catch (error) {
        if (isDecryptError(error)) throw masterKeyMismatch(error);
        throw error;
      }
    }
  }

  /**
   * The version new records are sealed with, read from the database on every
   * call so a rotation done by another process (the CLI) takes effect at once.
   */
  async activeKeyId(): Promise<number> {
    const [row] = await this.#database.db.select({ id: vaultKeys.id }).from(vaultKeys)
      .where(eq(vaultKeys.status, "active")).orderBy(desc(vaultKeys.id)).limit(1);
    if (!row) throw new VaultError("SX-VAULT-NO-KEY", "Cannot seal: the vault has no active key");
    return row.id;
  }

  /** The key of a version, or null; an unknown one is looked up once more (rotated elsewhere). */
  async key(id: number): Promise<CryptoKey | null> {
    if (!this.#keys.has(id)) await this.#reload();
    return this.#keys.get(id) ?? null;
  }

  /** Drops a version the database reports retired, so this process stops using it too. */
  forget(id: number): void {
    this.#keys.delete(id);
  }

  /** Adds a version and makes it the active one; earlier active ones become decrypt-only. */
  async addVersion(): Promise<number> {
    const id = await this.#database.transaction(async (tx) => {
      const [top] = await tx.select({ id: vaultKeys.id }).from(vaultKeys)
        .orderBy(desc(vaultKeys.id)).limit(1);
      const next = (top?.id ?? 0) + 1;
      const wrappedKey = await this.#newWrappedKey(next);
      await tx.update(vaultKeys).set({ status: "decrypt_only" })
        .where(eq(vaultKeys.status, "active"));
      await tx.insert(vaultKeys).values({
        id: next,
        wrappedKey,
        status: "active",
        createdAt: this.#now(),
        retiredAt: null,
      });
      return next;
    });
    await this.#reload();
    return id;
  }

  /**
   * Retires the decrypt-only versions no record uses and erases their key
   * material, in one transaction. Writers only ever land on the active
   * version (VaultStore checks it in the same statement), so a version found
   * unused here cannot gain a record afterwards.
   */
  async retireUnused(): Promise<number[]> {
    const retired = await this.#database.transaction(async (tx) => {
      const rows = await tx.select({ id: vaultKeys.id }).from(vaultKeys).where(
        and(eq(vaultKeys.status, "decrypt_only"), sql`NOT ${RECORDS_USING_KEY}`),
      );
      const ids = rows.map((r) => r.id);
      if (ids.length > 0) {
        await tx.update(vaultKeys).set({
          status: "retired",
          retiredAt: this.#now(),
          wrappedKey: new Uint8Array(0) as unknown as Buffer,
        }).where(inArray(vaultKeys.id, ids));
      }
      return ids;
    });
    for (const id of retired) this.forget(id);
    return retired;
  }

  /** Every version with its status and record count, oldest first (for `vault status`). */
  async versions(): Promise<KeyVersion[]> {
    const rows = await this.#database.db.select({
      id: vaultKeys.id,
      status: vaultKeys.status,
      createdAt: vaultKeys.createdAt,
      retiredAt: vaultKeys.retiredAt,
      records: sql<number>`(SELECT count(*) FROM vault_records r WHERE r.key_id = ${KEY_ID})`,
    }).from(vaultKeys).orderBy(vaultKeys.id);
    return rows.map((r) => ({ ...r, status: r.status as KeyStatus, records: Number(r.records) }));
  }
}
