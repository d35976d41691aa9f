import { sql } from "drizzle-orm";
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  /** Set by `apps delete`: the row stays as a tombstone (renamed so the name is free again). */
  deletedAt: integer("deleted_at"),
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

export const authSessions = sqliteTable("auth_sessions", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  entityId: text("entity_id").notNull(),
  /** popup | device */
  flow: text("flow").notNull(),
  /** pending | awaiting_confirmation | completed | failed | expired */
  status: text("status").notNull(),
  reason: text("reason"),
  /** JSON: { provider: { scopes: string[], status, account?, credentialId? } } */
  providers: text("providers").notNull(),
  /** base64url(sha256(sxc)) committed by the browser (popup flow). */
  sxcHash: text("sxc_hash"),
  sxcFailures: integer("sxc_failures").notNull().default(0),
  /** Origin the done page posts its result to (one of the app's origins). */
  targetOrigin: text("target_origin"),
  returnUrl: text("return_url"),
  /** Hex SHA-256 of the normalised device code; the code itself is not stored. */
  deviceCodeHash: text("device_code_hash").unique(),
  deviceCodeUsedAt: integer("device_code_used_at"),
  pollIntervalS: integer("poll_interval_s"),
  lastPolledAt: integer("last_polled_at"),
  /** Hex SHA-256 of the browser-binding cookie of the browser running the consent. */
  browserBinding: text("browser_binding"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  endedAt: integer("ended_at"),
}, (t) => [
  index("auth_sessions_entity_idx").on(t.appId, t.entityId),
  index("auth_sessions_expiry_idx").on(t.status, t.expiresAt),
]);

export const oauthStates = sqliteTable("oauth_states", {
  /** Hex SHA-256 of the `state` parameter sent to the provider. */
  stateHash: text("state_hash").primaryKey(),
  sessionId: text("session_id").notNull().references(() => authSessions.id, {
    onDelete: "cascade",
  }),
  provider: text("provider").notNull(),
  browserBinding: text("browser_binding").notNull(),
  /** Vault record holding the PKCE code verifier. */
  verifierId: text("verifier_id").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

export const connections = sqliteTable("connections", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  entityId: text("entity_id").notNull(),
  provider: text("provider").notNull(),
  /** pending | active | paused | revoked | needs_reauth */
  status: text("status").notNull(),
  /** JSON array of granted scopes. */
  scopes: text("scopes").notNull().default("[]"),
  /** JSON { id, email?, name? } of the connected provider account. */
  account: text("account"),
  /** Vault record with the token set; null once revoked. */
  credentialId: text("credential_id"),
  credentialExpiresAt: integer("credential_expires_at"),
  /** False when the token expires and there is no refresh token; null when unknown (older rows). */
  refreshable: integer("refreshable", { mode: "boolean" }),
  sessionId: text("session_id"),
  /** Bumped on every change; caches compare it to drop stale entries. */
  version: integer("version").notNull().default(1),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (t) => [
  index("connections_entity_idx").on(t.appId, t.entityId, t.provider),
]);

export const rateCounters = sqliteTable("rate_counters", {
  /** What is counted, e.g. `device-code-failures:ip:203.0.113.9`. */
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

export const agents = sqliteTable("agents", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  /** The id the app sends in `securix-agent-id`; unique per app. */
  agentId: text("agent_id").notNull(),
  name: text("name"),
  createdAt: integer("created_at").notNull(),
}, (t) => [uniqueIndex("agents_app_agent_idx").on(t.appId, t.agentId)]);

/**
 * One row per connection being refreshed: the owner token and expiry make
 * appliance processes sharing the database refresh at most once between them.
 */
export const refreshLeases = sqliteTable("refresh_leases", {
  connectionId: text("connection_id").primaryKey(),
  owner: text("owner").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/** Append-only, hash-chained audit log. */
export const auditLog = sqliteTable("audit_log", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  id: text("id").notNull().unique(),
  at: integer("at").notNull(),
  /** e.g. proxy.request, session.created, connection.revoked, admin.app.created */
  kind: text("kind").notNull(),
  appId: text("app_id"),
  agentId: text("agent_id"),
  entityId: text("entity_id"),
  provider: text("provider"),
  /** Canonical JSON of the rest of the record (method, path, status, bytes, …). */
  data: text("data").notNull(),
  prevHash: text("prev_hash").notNull(),
  hash: text("hash").notNull(),
  /**
   * Records in this row: 1, or a pack of proxied requests written as one
   * batch (audit_pack.ts). A pack's `at` is its earliest record, `last_at`
   * its latest, and its app/agent/entity/provider columns are null.
   */
  records: integer("records").notNull().default(1),
  lastAt: integer("last_at"),
}, (t) => [
  index("audit_log_at_idx").on(t.at),
  index("audit_log_app_idx").on(t.appId, t.at),
  // When a row's newest record happened. last_at sits after the pack's data
  // in the row, so without this retention and time filters read every pack.
  index("audit_log_until_idx").on(sql`coalesce(${t.lastAt}, ${t.at})`),
]);

export const webhookEndpoints = sqliteTable("webhook_endpoints", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  url: text("url").notNull(),
  /** JSON array of event types, or ["*"]. */
  events: text("events").notNull(),
  /** Vault record of the signing secret (`whsec_…`). */
  secretId: text("secret_id").notNull(),
  /** During rotation the previous secret also signs until this time. */
  previousSecretId: text("previous_secret_id"),
  previousSecretUntil: integer("previous_secret_until"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("webhook_endpoints_app_idx").on(t.appId)]);

/** The outbox: one row per event and endpoint, written with the change it reports. */
export const webhookDeliveries = sqliteTable("webhook_deliveries", {
  /** Also the `webhook-id` header: stable across retries so receivers can dedupe. */
  id: text("id").primaryKey(),
  endpointId: text("endpoint_id").notNull(),
  appId: text("app_id").notNull(),
  eventType: text("event_type").notNull(),
  /** The exact JSON body that is signed and sent. */
  payload: text("payload").notNull(),
  /** Deliveries with the same key go out in order (e.g. one connection's events). */
  orderingKey: text("ordering_key").notNull(),
  /** pending | delivered | dead */
  status: text("status").notNull(),
  attempts: integer("attempts").notNull().default(0),
  nextAttemptAt: integer("next_attempt_at").notNull(),
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  createdAt: integer("created_at").notNull(),
  deliveredAt: integer("delivered_at"),
  /** Worker claim, so two processes never send the same attempt twice. */
  claimedBy: text("claimed_by"),
  claimedUntil: integer("claimed_until"),
}, (t) => [
  index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
  index("webhook_deliveries_order_idx").on(t.endpointId, t.orderingKey, t.createdAt),
]);

/** Admin console accounts (`securix admins add`). */
export const admins = sqliteTable("admins", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  /** `scrypt$N$r$p$salt$hash` (base64); never the password. */
  passwordHash: text("password_hash").notNull(),
  /** Vault record holding the TOTP key. */
  totpSecretId: text("totp_secret_id").notNull(),
  /** Set once the admin proved the authenticator works; until then sign-in shows enrolment. */
  totpConfirmedAt: integer("totp_confirmed_at"),
  /** The last accepted TOTP time step: a code is good once. */
  totpLastCounter: integer("totp_last_counter"),
  createdAt: integer("created_at").notNull(),
  lastSignInAt: integer("last_sign_in_at"),
});

/** Console sessions; the cookie's value is never stored, only its SHA-256. */
export const adminSessions = sqliteTable("admin_sessions", {
  id: text("id").primaryKey(),
  digest: text("digest").notNull().unique(),
  adminId: text("admin_id").notNull(),
  /** password | link */
  via: text("via").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
});

/** One-time console login links (`securix admin login-link`), by digest. */
export const adminLoginLinks = sqliteTable("admin_login_links", {
  id: text("id").primaryKey(),
  digest: text("digest").notNull().unique(),
  adminId: text("admin_id").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});
