import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The drizzle schema. SQL migrations under migrations/ are generated from it
 * with `deno task db:generate`; times are Unix milliseconds.
 */

export const apps = sqliteTable("apps", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  /** JSON array of allowed web origins for the popup flow. */
  origins: text("origins").notNull().default("[]"),
  createdAt: integer("created_at").notNull(),
});

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  /** Hex SHA-256 of the full key; the key itself is never stored. */
  digest: text("digest").notNull().unique(),
  /** First characters of the key, to recognise it in listings. */
  hint: text("hint").notNull(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at"),
  revokedAt: integer("revoked_at"),
}, (t) => [index("api_keys_app_idx").on(t.appId)]);

export const vaultKeys = sqliteTable("vault_keys", {
  /** Key version; records store it beside their ciphertext. */
  id: integer("id").primaryKey(),
  /** The key-encryption key, AES-GCM wrapped by the master key. */
  wrappedKey: blob("wrapped_key", { mode: "buffer" }).notNull(),
  /** active (encrypts), decrypt_only (being rotated out), retired (unused). */
  status: text("status").notNull(),
  createdAt: integer("created_at").notNull(),
  retiredAt: integer("retired_at"),
});

export const vaultRecords = sqliteTable("vault_records", {
  id: text("id").primaryKey(),
  /** What the secret is for; bound into the associated data. */
  purpose: text("purpose").notNull(),
  keyId: integer("key_id").notNull(),
  /** nonce (12 bytes) || AES-256-GCM ciphertext and tag. */
  ciphertext: blob("ciphertext", { mode: "buffer" }).notNull(),
  /** Bumped on every write; compare-and-swap guard for rotation and refresh. */
  version: integer("version").notNull().default(1),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [index("vault_records_key_idx").on(t.keyId)]);

export const meta = sqliteTable("meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
