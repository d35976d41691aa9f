import { and, eq, inArray, sql } from "drizzle-orm";
import type { Actor } from "../audit/actor.ts";
import { type AuthEvent, recordAuthEvent } from "../audit/auth_event.ts";
import type { Database } from "../db/client.ts";
import { connections } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { Connection } from "./connection_types.ts";

export function connectionEventData(c: Connection): Record<string, unknown> {
  return { connectionId: c.id, entityId: c.entityId, provider: c.provider, account: c.account };
}

/** The audit side of a connection's event: its ids, plus `extra` (reasons, actor). */
export function connectionAudit(
  c: Connection,
  extra: Record<string, unknown> = {},
): Pick<AuthEvent, "appId" | "entityId" | "provider" | "data"> {
  return {
    appId: c.appId,
    entityId: c.entityId,
    provider: c.provider,
    data: { connectionId: c.id, ...extra },
  };
}

/**
 * Pause and resume: a paused connection keeps its credential but the proxy
 * refuses it with SX-PAUSED. The status change, its audit record (naming
 * `by`, the API key or CLI user, when given) and its webhook event are
 * written in one transaction.
 */
export async function setPaused(
  deps: { database: Database; now: () => number },
  connection: Connection,
  paused: boolean,
  options: { by?: Actor } = {},
): Promise<void> {
  const from = paused ? ["active"] : ["paused"];
  const now = deps.now();
  const changed = await deps.database.transaction(async (tx) => {
    const result = await tx.update(connections).set({
      status: paused ? "paused" : "active",
      version: sql`${connections.version} + 1`,
      updatedAt: now,
    }).where(and(eq(connections.id, connection.id), inArray(connections.status, from)));
    if (result.rowsAffected === 0) return false;
    const type = paused ? "connection.paused" : "connection.resumed";
    await recordAuthEvent(tx, {
      kind: type,
      ...connectionAudit(connection, { ...options.by }),
      webhook: { type, data: connectionEventData(connection), orderingKey: connection.id },
    }, now);
    return true;
  });
  if (!changed) {
    throw new SecurixError(
      "SX-CONNECTION-STATE",
      `Connection ${connection.id} is ${connection.status}; only ${from[0]} connections can be ${
        paused ? "paused" : "resumed"
      }`,
      { status: 409 },
    );
  }
}
