import type { Tx } from "../db/client.ts";
import { enqueueEvent, type OutboxEvent } from "../webhooks/outbox.ts";
import { appendAudit } from "./append.ts";

/** The auth events the audit log records. */
export type AuthEventKind =
  | "session.created"
  | "session.completed"
  | "session.failed"
  | "session.expired"
  | "session.sxc_mismatch"
  | "session.account_refused"
  | "connection.created"
  | "connection.revoked"
  | "connection.paused"
  | "connection.resumed"
  | "connection.refreshed"
  | "connection.refresh_failed"
  | "connection.recovered"
  | "connection.credential_released"
  | "connection.credential_release_denied";

export interface AuthEvent {
  kind: AuthEventKind;
  appId: string;
  /** Null only for a refused release whose id named none of the app's connections. */
  entityId: string | null;
  provider?: string | null;
  /** The agent that acted, when one did (a credential release by an agent): the record's own column. */
  agentId?: string | null;
  /** Ids, flow and reason for the operator: never a token, secret, code, sxc or query value. */
  data: Record<string, unknown>;
  /**
   * What the app's webhook endpoints receive, or null for changes apps are
   * not told about (session.created, connection.refreshed).
   */
  webhook: Omit<OutboxEvent, "appId"> | null;
}

/**
 * Records an auth event inside the transaction of the change it reports:
 * the audit record always, the webhook event when there is one. Both exist
 * exactly when the change does.
 */
export async function recordAuthEvent(tx: Tx, event: AuthEvent, now: number): Promise<void> {
  await appendAudit(tx, [{
    kind: event.kind,
    at: now,
    appId: event.appId,
    agentId: event.agentId ?? null,
    entityId: event.entityId,
    provider: event.provider ?? null,
    data: event.data,
  }]);
  if (event.webhook) await enqueueEvent(tx, { appId: event.appId, ...event.webhook }, now);
}

/**
 * A failure reason as the audit log keeps it: our own codes and OAuth error
 * codes pass; anything else a provider sent back is not copied.
 */
export function auditReason(reason: string | null): string | null {
  if (reason === null) return null;
  return /^[a-z][a-z0-9_]{0,63}$/.test(reason) ? reason : "provider_error";
}
