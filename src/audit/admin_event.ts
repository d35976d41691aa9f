import type { Database, Tx } from "../db/client.ts";
import type { Actor } from "./actor.ts";
import { appendAudit } from "./append.ts";

/** The administrative actions the audit log records. */
export type AdminEventKind =
  | "admin.app.created"
  | "admin.app.updated"
  | "admin.app.deleted"
  | "admin.key.created"
  | "admin.key.revoked"
  | "admin.agent.added"
  | "admin.agent.removed"
  | "admin.webhook.added"
  | "admin.webhook.removed"
  | "admin.webhook.secret_rotated"
  | "admin.webhook.redelivered"
  | "admin.webhook.tested"
  | "admin.audit.pruned"
  | "admin.vault.rotation_started"
  | "admin.vault.rotation_finished"
  | "admin.vault.rotation_failed"
  | "admin.providers.loaded"
  | "admin.backup.created"
  | "admin.backup.failed"
  | "admin.mcp_url.created"
  | "admin.mcp_url.revoked"
  | "admin.admins.added"
  | "admin.admins.removed"
  | "admin.admins.signed_out"
  | "admin.console.login_link_created"
  | "admin.console.signed_in"
  | "admin.console.sign_in_failed"
  | "admin.console.signed_out"
  | "admin.rules.edited";

export interface AdminEvent {
  kind: AdminEventKind;
  by: Actor;
  appId?: string | null;
  agentId?: string | null;
  /** Ids and settings: never a key, secret or URL query. */
  data?: Record<string, unknown>;
}

/** Records an administrative action inside the transaction that makes the change. */
export async function recordAdminEvent(tx: Tx, event: AdminEvent, now: number): Promise<void> {
  await appendAudit(tx, [{
    kind: event.kind,
    at: now,
    appId: event.appId ?? null,
    agentId: event.agentId ?? null,
    data: { ...event.data, ...event.by },
  }]);
}

/**
 * For changes that are not one database transaction (vault writes, key
 * rotation, configuration): the record in its own transaction, right after.
 */
export async function recordAdminEventNow(
  database: Database,
  event: AdminEvent,
  now: number,
): Promise<void> {
  await database.transaction((tx) => recordAdminEvent(tx, event, now));
}
