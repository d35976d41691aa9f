import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultKeys } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { deriveSubkey, LABELS } from "./derive.ts";
import { EnvelopeError, importAesKey, open, seal } from "./envelope.ts";

export type KeyStatus = "active" | "decrypt_only" | "retired";

export interface KeyVersion {
  id: number;
  status: KeyStatus;
  createdAt: number;
  retiredAt: number | null;
  records: number;
}

const wrapAad = (id: number) => new TextEncoder().encode(`securix-vault-key:v1:${id}`);

function mismatch(cause?: unknown): SecurixError {
  return new SecurixError(
    "SX-MASTER-KEY-MISMATCH",
    "The master key does not match this database's vault keys. Start with the master key the " +
      "database was created with; a different key cannot open the stored secrets",
    { cause },
  );
}

/**
 * Versioned key-encryption keys, each a random AES-256 key wrapped by a key
 * derived from the master key. New records use the active version; older
 * versions stay readable until rotation has moved every record off them,
 * then they are retired and their key material is erased.
 */
export class Keyring {
  readonly #database: Database;
  readonly #wrapping: CryptoKey;
  readonly #now: () => number;
  readonly #keys = new Map<number, CryptoKey>();

  private constructor(database: Database, wrapping: CryptoKey, now: () => number) {
    this.#database = database;
    this.#wrapping = wrapping;
    this.#now = now;
  }

  static async open(
    database: Database,
    masterKey: Uint8Array,
    now: () => number = Date.now,
  ): Promise<Keyring> {
    const wrapping = await importAesKey(await deriveSubkey(masterKey, LABELS.keyWrapping), [
      "encrypt",
      "decrypt",
    ]);
    const keyring = new Keyring(database, wrapping, now);
    const [any] = await database.db.select({ id: vaultKeys.id }).from(vaultKeys).limit(1);
    if (!any) await keyring.#create(1);
    await keyring.#load();
    return keyring;
  }

  async #create(id: number): Promise<void> {
    const raw = crypto.getRandomValues(new Uint8Array(32));
    const wrappedKey = await seal(this.#wrapping, raw, wrapAad(id));
    // Two processes starting on an empty vault race here: one insert wins.
    await this.#database.db.insert(vaultKeys).values({
      id,
      wrappedKey: wrappedKey as unknown as Buffer,
      status: "active",
      createdAt: this.#now(),
      retiredAt: null,
    }).onConflictDoNothing();
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
        if (error instanceof EnvelopeError) throw mismatch(error);
        throw error;
      }
    }
  }

  /**
   * The version new records are sealed with, read from the database so a
   * rotation done by another process (the CLI) takes effect here at once.
   */
  async activeKeyId(): Promise<number> {
    const [row] = await this.#database.db.select({ id: vaultKeys.id }).from(vaultKeys)
      .where(eq(vaultKeys.status, "active")).orderBy(desc(vaultKeys.id)).limit(1);
    if (!row) throw new SecurixError("SX-VAULT-NO-KEY", "The vault has no active key");
    return row.id;
  }

  /** The key of a version; unknown versions are looked up once more (rotation elsewhere). */
  async key(id: number): Promise<CryptoKey | null> {
    if (!this.#keys.has(id)) await this.#load();
    return this.#keys.get(id) ?? null;
  }

  /** Adds a version and makes it the active one; earlier ones become decrypt-only. */
  async addVersion(): Promise<number> {
    const id = await this.#database.transaction(async (tx) => {
      const [top] = await tx.select({ id: vaultKeys.id }).from(vaultKeys).orderBy(
        desc(vaultKeys.id),
      ).limit(1);
      const next = (top?.id ?? 0) + 1;
      const raw = crypto.getRandomValues(new Uint8Array(32));
      const wrappedKey = await seal(this.#wrapping, raw, wrapAad(next));
      await tx.update(vaultKeys).set({ status: "decrypt_only" }).where(
        eq(vaultKeys.status, "active"),
      );
      await tx.insert(vaultKeys).values({
        id: next,
        wrappedKey: wrappedKey as unknown as Buffer,
        status: "active",
        createdAt: this.#now(),
        retiredAt: null,
      });
      return next;
    });
    await this.#load();
    return id;
  }

  /** Retires decrypt-only versions no record uses any more and erases their key material. */
  async retireUnused(): Promise<number[]> {
    const retired = await this.#database.transaction(async (tx) => {
      const candidates = await tx.select({ id: vaultKeys.id }).from(vaultKeys).where(
        and(
          eq(vaultKeys.status, "decrypt_only"),
          sql`NOT EXISTS (SELECT 1 FROM vault_records r WHERE r.key_id = "vault_keys"."id")`,
        ),
      );
      const ids = candidates.map((c) => c.id);
      if (ids.length > 0) {
        await tx.update(vaultKeys).set({
          status: "retired",
          retiredAt: this.#now(),
          wrappedKey: new Uint8Array(0) as unknown as Buffer,
        }).where(inArray(vaultKeys.id, ids));
      }
      return ids;
    });
    for (const id of retired) this.#keys.delete(id);
    return retired;
  }

  async versions(): Promise<KeyVersion[]> {
    const rows = await this.#database.db.select({
      id: vaultKeys.id,
      status: vaultKeys.status,
      createdAt: vaultKeys.createdAt,
      retiredAt: vaultKeys.retiredAt,
      records: sql<
        number
      >`(SELECT count(*) FROM vault_records r WHERE r.key_id = "vault_keys"."id")`,
    }).from(vaultKeys).orderBy(vaultKeys.id);
    return rows.map((r) => ({ ...r, status: r.status as KeyStatus, records: Number(r.records) }));
  }
}
