import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import {
  activityHourly,
  anomalies,
  anomalyCounts,
  approvals,
  authSessions,
  connections,
  gatewayRequests,
  mcpGrants,
  oauthStates,
  portalLinks,
  portalSessions,
  portalSettings,
  rateLimitBuckets,
  rateLimitLeases,
  refreshLeases,
} from "../db/schema.ts";

/** One end user of one app, as the app names it. */
export interface EntityRef {
  appId: string;
  entityId: string;
}

/** The tables whose rows name an entity, each matched on (app, entity). */
const BY_ENTITY = [
  connections,
  authSessions,
  portalSettings,
  portalSessions,
  portalLinks,
  mcpGrants,
  approvals,
  anomalies,
  activityHourly,
] as const;

function ofEntity(table: typeof BY_ENTITY[number], ref: EntityRef) {
  return and(eq(table.appId, ref.appId), eq(table.entityId, ref.entityId))!;
}

/** Whether the app holds any row about this entity (the audit trail aside). */
export async function entityIsKnown(db: Db, ref: EntityRef): Promise<boolean> {
  for (const table of BY_ENTITY) {
    const [row] = await db.select({ one: sql`1` }).from(table).where(ofEntity(table, ref)).limit(1);
    if (row) return true;
  }
  return false;
}

/** Vault records an entity's auth sessions hold: tokens not yet handed over, PKCE verifiers. */
export interface SessionSecrets {
  /** provider → credential id, per session. */
  credentials: { provider: string; credentialId: string }[];
  verifierIds: string[];
}

export async function entitySessionSecrets(db: Db, ref: EntityRef): Promise<SessionSecrets> {
  const sessions = await db.select({ id: authSessions.id, providers: authSessions.providers })
    .from(authSessions).where(ofEntity(authSessions, ref));
  const credentials = sessions.flatMap((s) =>
    Object.entries(JSON.parse(s.providers) as Record<string, { credentialId?: string | null }>)
      .flatMap(([provider, step]) =>
        step.credentialId ? [{ provider, credentialId: step.credentialId }] : []
      )
  );
  const ids = sessions.map((s) => s.id);
  const states = ids.length === 0 ? [] : await db.select({ id: oauthStates.verifierId })
    .from(oauthStates).where(inArray(oauthStates.sessionId, ids));
  return { credentials, verifierIds: states.map((s) => s.id) };
}

/** What an erasure removed, by kind: the `entity.erased` record and the API answer. */
export interface ErasedCounts {
  connections: number;
  authSessions: number;
  portalChoices: number;
  portalSessions: number;
  portalLinks: number;
  mcpUrls: number;
  approvals: number;
  anomalies: number;
  activityHours: number;
  rateLimitKeys: number;
}

/**
 * Deletes every row naming the entity, inside the caller's transaction.
 * Connections must be revoked first (revokeConnection): this only removes
 * the rows (and their account names) that revocation keeps.
 */
export async function deleteEntityRows(tx: Tx, ref: EntityRef): Promise<ErasedCounts> {
  const gone = async (table: typeof BY_ENTITY[number]) =>
    (await tx.delete(table).where(ofEntity(table, ref))).rowsAffected;
  const connectionIds = (await tx.select({ id: connections.id }).from(connections)
    .where(ofEntity(connections, ref))).map((c) => c.id);
  const sessionIds = (await tx.select({ id: authSessions.id }).from(authSessions)
    .where(ofEntity(authSessions, ref))).map((s) => s.id);
  // The schema's ON DELETE CASCADE is not enforced (no foreign_keys pragma): children first.
  if (sessionIds.length > 0) {
    await tx.delete(oauthStates).where(inArray(oauthStates.sessionId, sessionIds));
    await tx.delete(gatewayRequests).where(inArray(gatewayRequests.sessionId, sessionIds));
  }
  if (connectionIds.length > 0) {
    await tx.delete(refreshLeases).where(inArray(refreshLeases.connectionId, connectionIds));
    await tx.delete(anomalyCounts).where(inArray(anomalyCounts.subject, connectionIds));
  }
  return {
    connections: await gone(connections),
    authSessions: await gone(authSessions),
    portalChoices: await gone(portalSettings),
    portalSessions: await gone(portalSessions),
    portalLinks: await gone(portalLinks),
    mcpUrls: await gone(mcpGrants),
    approvals: await gone(approvals),
    anomalies: await gone(anomalies),
    activityHours: await gone(activityHourly),
    rateLimitKeys: await deleteLimitKeys(tx, ref, connectionIds),
  };
}

/**
 * Rate-limit buckets counted per entity or per one of its connections. A
 * key ends in `<appId> entity <entityId>` or `<appId> connection <id>`
 * (limit_filter.ts limitKey); matched on that suffix, not with LIKE, which
 * would read `%` and `_` in an entity id as wildcards.
 */
async function deleteLimitKeys(tx: Tx, ref: EntityRef, connectionIds: string[]) {
  const suffixes = [
    ` ${ref.appId} entity ${ref.entityId}`,
    ...connectionIds.map((id) => ` ${ref.appId} connection ${id}`),
  ];
  const endsWith = (column: typeof rateLimitBuckets.key | typeof rateLimitLeases.key) =>
    or(...suffixes.map((s) => sql`substr(${column}, -${[...s].length}) = ${s}`))!;
  await tx.delete(rateLimitLeases).where(endsWith(rateLimitLeases.key));
  return (await tx.delete(rateLimitBuckets).where(endsWith(rateLimitBuckets.key))).rowsAffected;
}
