import { sql } from "drizzle-orm";
import {
  blob,
  check,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

/**
 * The drizzle schema; times are Unix milliseconds. `deno task db:generate`
 * writes a migration for a change to it (README, "Adding a migration");
 * schema_test.ts holds it equal to what the migrations make, and
 * drizzle_snapshot_test.ts to drizzle-kit's newest snapshot.
 */

export const apps = sqliteTable("apps", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  /** JSON array of allowed web origins for the popup flow. */
  origins: text("origins").notNull().default("[]"),
  createdAt: integer("created_at").notNull(),
  /** Set by `apps delete`: the row stays as a tombstone (renamed so the name is free again). */
  deletedAt: integer("deleted_at"),
  /** `GET /v1/token` may release its users' credentials (`apps update --allow-credential-release`). */
  credentialRelease: integer("credential_release", { mode: "boolean" }).notNull().default(false),
  /**
   * The app's backend keys may decide held calls (`POST /v1/approvals/{id}`;
   * `apps update --allow-api-approvals`; agent keys never may). Off: an agent
   * handed a backend key could approve itself.
   */
  approvalsViaApi: integer("approvals_via_api", { mode: "boolean" }).notNull().default(false),
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
  /** `backend` (everything) or `agent` (the proxy only); see apps/key_role.ts. */
  role: text("role", { enum: ["backend", "agent"] }).notNull().default("backend"),
  /**
   * The one agent an agent key acts for (`securix-agent-id` may only name it);
   * null for backend keys and for agent keys made before binding (any agent).
   */
  agentId: text("agent_id"),
}, (t) => [
  index("api_keys_app_idx").on(t.appId),
  // 0016 wrote it inline on the column; declared here so a table drizzle-kit
  // rebuilds keeps it.
  check("api_keys_role_check", sql`${t.role} IN ('backend', 'agent')`),
  // 0020 wrote it inline on the column, as 0016 did: only an agent key is bound to an agent.
  check("api_keys_agent_check", sql`${t.agentId} IS NULL OR ${t.role} = 'agent'`),
]);

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

/**
 * MCP URLs (`Securix.mcp.getUrl`): a grant for one app, entity, agent and
 * provider set. Only the grant's SHA-256 digest is stored, like API keys.
 */
export const mcpGrants = sqliteTable("mcp_grants", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  entityId: text("entity_id").notNull(),
  agentId: text("agent_id").notNull(),
  /** JSON array of provider names; null = every provider. */
  providers: text("providers"),
  digest: text("digest").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  revokedAt: integer("revoked_at"),
}, (t) => [index("mcp_grants_app_idx").on(t.appId, t.createdAt)]);

/**
 * `POST /v1/request-connection`: the consent session it started, the connection id the
 * app was promised, and the single-use link (stored as a digest) that opens the consent.
 */
export const gatewayRequests = sqliteTable("gateway_requests", {
  sessionId: text("session_id").primaryKey().references(() => authSessions.id, {
    onDelete: "cascade",
  }),
  appId: text("app_id").notNull().references(() => apps.id, { onDelete: "cascade" }),
  connectionId: text("connection_id").notNull(),
  provider: text("provider").notNull(),
  /** One of the app's origins; gets `status=success&connection_id=…` after the consent. */
  returnUrl: text("return_url").notNull(),
  /** The app's own JSON, given back as it came; never shown to the user. */
  metadata: text("metadata"),
  /** Random, handed to the app and echoed on the return_url so it can match the two. */
  state: text("state").notNull(),
  /** Hex SHA-256 of the authUrl's single-use link token (0012 named its index). */
  linkHash: text("link_hash").notNull().unique("gateway_requests_link_unique"),
  linkUsedAt: integer("link_used_at"),
  createdAt: integer("created_at").notNull(),
}, (t) => [index("gateway_requests_connection_idx").on(t.connectionId, t.createdAt)]);

/**
 * Rate limits shared by every process on this database (src/limits/): the
 * unclaimed tokens of one limit key's bucket at `at`. A row whose bucket
 * would be full again by `expires_at` (and holds no lease) may be deleted.
 */
export const rateLimitBuckets = sqliteTable("rate_limit_buckets", {
  key: text("key").primaryKey(),
  tokens: real("tokens").notNull(),
  at: integer("at").notNull(),
  expiresAt: integer("expires_at").notNull(),
}, (t) => [index("rate_limit_buckets_expires_idx").on(t.expiresAt)]);

/** Tokens a process (`holder`) claimed from a bucket and may spend until `until`. */
export const rateLimitLeases = sqliteTable("rate_limit_leases", {
  key: text("key").notNull(),
  holder: text("holder").notNull(),
  tokens: integer("tokens").notNull(),
  until: integer("until").notNull(),
}, (t) => [
  primaryKey({ columns: [t.key, t.holder] }),
  index("rate_limit_leases_until_idx").on(t.until),
]);

/**
 * What the security engine detected: a block (`active` until a person clears
 * it or `expires_at` passes) or an alert-only finding (`alert`). At most one
 * active block per connection and detector, whichever process trips it.
 */
export const anomalies = sqliteTable("anomalies", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull(),
  connectionId: text("connection_id"),
  agentId: text("agent_id"),
  entityId: text("entity_id"),
  provider: text("provider"),
  /** mass_delete | exfiltration | unusual_hours | burst_errors */
  detector: text("detector").notNull(),
  /** The operation id of the call that tripped it. */
  action: text("action").notNull(),
  /** Calls, bytes (exfiltration) or errors counted in the window. */
  count: integer("count").notNull(),
  windowMs: integer("window_ms").notNull(),
  blocked: integer("blocked", { mode: "boolean" }).notNull(),
  /** active | cleared | expired (blocks) | alert (alert only) */
  status: text("status").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at"),
  clearedAt: integer("cleared_at"),
  /** The actor (`cli`, `api:<keyId>`). */
  clearedBy: text("cleared_by"),
}, (t) => [
  index("anomalies_status_idx").on(t.status),
  index("anomalies_app_idx").on(t.appId, t.createdAt, t.id),
  uniqueIndex("anomalies_active_block_idx").on(t.connectionId, t.detector).where(
    sql`${t.status} = 'active'`,
  ),
]);

/** The detectors' counts shared between processes, per time bucket (each adds its own). */
export const anomalyCounts = sqliteTable("anomaly_counts", {
  detector: text("detector").notNull(),
  /** A connection id, or `<appId>/<agentId>` for per-agent detectors. */
  subject: text("subject").notNull(),
  /** Start of the bucket, ms since the epoch. */
  bucket: integer("bucket").notNull(),
  count: integer("count").notNull(),
}, (t) => [
  primaryKey({ columns: [t.detector, t.subject, t.bucket] }),
  index("anomaly_counts_bucket_idx").on(t.bucket),
]);

/**
 * A call held by an `approve` rule. Decided once (pending → approved |
 * denied), used once by the agent's retry (approved → used, a conditional
 * UPDATE so two retries or two processes cannot both pass). Expired is
 * derived from `expires_at`; the links' tokens are stored as digests.
 */
export const approvals = sqliteTable("approvals", {
  id: text("id").primaryKey(),
  appId: text("app_id").notNull(),
  agentId: text("agent_id").notNull(),
  entityId: text("entity_id").notNull(),
  connectionId: text("connection_id").notNull(),
  provider: text("provider").notNull(),
  operation: text("operation").notNull(),
  rule: text("rule").notNull(),
  method: text("method").notNull(),
  /** Without the query (its values may be personal); the query is in `request_hash`. */
  path: text("path").notNull(),
  /** Hex SHA-256 of method, path, query and body. */
  requestHash: text("request_hash").notNull(),
  /** JSON of the human summary (approval_summary.ts): never a token or the full body. */
  summary: text("summary").notNull(),
  /** pending | approved | denied | used (expired is derived from expires_at). */
  status: text("status").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  approveDigest: text("approve_digest").notNull(),
  denyDigest: text("deny_digest").notNull(),
  /** `link`, `api:<keyId>`, `cli`, later `console:<user>`. */
  decidedBy: text("decided_by"),
  decidedAt: integer("decided_at"),
  usedAt: integer("used_at"),
}, (t) => [index("approvals_app_idx").on(t.appId, t.status, t.createdAt)]);

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

/** One-time Trust Portal links (`POST /v1/portal/urls`), by digest. */
export const portalLinks = sqliteTable("portal_links", {
  id: text("id").primaryKey(),
  digest: text("digest").notNull().unique(),
  appId: text("app_id").notNull(),
  entityId: text("entity_id").notNull(),
  returnUrl: text("return_url"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

/** Trust Portal sessions, bound to one entity of one app; the cookie's value is never stored. */
export const portalSessions = sqliteTable("portal_sessions", {
  id: text("id").primaryKey(),
  digest: text("digest").notNull().unique(),
  appId: text("app_id").notNull(),
  entityId: text("entity_id").notNull(),
  returnUrl: text("return_url"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
});

/**
 * An entity's own choices in the Trust Portal: `scope_off` (value: a
 * `[scopes.<name>]`), `hide_label` (a Gmail label id), `hide_folder` (a Drive folder id).
 */
export const portalSettings = sqliteTable("portal_settings", {
  appId: text("app_id").notNull(),
  entityId: text("entity_id").notNull(),
  kind: text("kind").notNull(),
  value: text("value").notNull(),
  /** What the user saw (a label's or folder's name), for the page. */
  label: text("label"),
  createdAt: integer("created_at").notNull(),
}, (t) => [primaryKey({ columns: [t.appId, t.entityId, t.kind, t.value] })]);

/**
 * Proxied calls counted per hour (migration 0017, WITHOUT ROWID there): what
 * the portal's activity view and unusual_hours read instead of decoding the
 * audit packs. Kept by append.ts in the audit batch's transaction, pruned
 * with the log (prune.ts). '' stands for no agent, operation or via.
 */
export const activityHourly = sqliteTable("activity_hourly", {
  appId: text("app_id").notNull(),
  entityId: text("entity_id").notNull(),
  /** UTC hour start, ms. */
  hour: integer("hour").notNull(),
  provider: text("provider").notNull(),
  agentId: text("agent_id").notNull(),
  operation: text("operation").notNull(),
  decision: text("decision").notNull(),
  via: text("via").notNull(),
  calls: integer("calls").notNull(),
  /** The newest call's time in this hour. */
  lastAt: integer("last_at").notNull(),
}, (t) => [
  primaryKey({
    columns: [
      t.appId,
      t.entityId,
      t.hour,
      t.provider,
      t.agentId,
      t.operation,
      t.decision,
      t.via,
    ],
  }),
  index("activity_hourly_hour_idx").on(t.hour, t.appId, t.entityId, t.provider),
]);
