import { and, desc, eq, gt, isNotNull, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { connections } from "../db/schema.ts";
import type { Connection, ConnectionStatus } from "./connection_types.ts";

type Row = typeof connections.$inferSelect;

function toConnection(row: Row): Connection {
  return {
    ...row,
    status: row.status as ConnectionStatus,
    scopes: JSON.parse(row.scopes),
    account: row.account ? JSON.parse(row.account) : null,
  };
}

export function toRow(c: Connection): Row {
  return {
    ...c,
    refreshable: c.refreshable ?? null,
    scopes: JSON.stringify(c.scopes),
    account: c.account ? JSON.stringify(c.account) : null,
  };
}

/** The entity's newest connection to a provider that also meets `conditions`. */
async function newestConnection(
  db: Db | Tx,
  key: { appId: string; entityId: string; provider: string },
  ...conditions: SQL[]
): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(and(
    eq(connections.appId, key.appId),
    eq(connections.entityId, key.entityId),
    eq(connections.provider, key.provider),
    ...conditions,
  )).orderBy(desc(connections.createdAt)).limit(1);
  return row ? toConnection(row) : null;
}

/** The entity's current (not revoked) connection to a provider, if any. */
export function currentConnection(
  db: Db | Tx,
  appId: string,
  entityId: string,
  provider: string,
): Promise<Connection | null> {
  return newestConnection(db, { appId, entityId, provider }, ne(connections.status, "revoked"));
}

/**
 * The entity's newest revoked connection to a provider that still names its
 * account (revocation keeps it): the account an agent's consent may bring back.
 */
export function lastRevokedConnection(
  db: Db | Tx,
  appId: string,
  entityId: string,
  provider: string,
): Promise<Connection | null> {
  return newestConnection(
    db,
    { appId, entityId, provider },
    eq(connections.status, "revoked"),
    isNotNull(connections.account),
  );
}

export async function getConnection(db: Db | Tx, id: string): Promise<Connection | null> {
  const [row] = await db.select().from(connections).where(eq(connections.id, id)).limit(1);
  return row ? toConnection(row) : null;
}

export interface ConnectionFilter {
  appId?: string;
  entityId?: string;
  provider?: string;
  /** Only this status; without it, every status but `revoked` (unless `includeRevoked`). */
  status?: ConnectionStatus;
  includeRevoked?: boolean;
}

export async function listConnections(db: Db, filter: ConnectionFilter): Promise<Connection[]> {
  const rows = await db.select().from(connections).where(and(...filterConditions(filter)))
    .orderBy(connections.createdAt, connections.id);
  return rows.map(toConnection);
}

/** Where a page starts: just after this connection, in (createdAt, id) order. */
export interface PagePosition {
  createdAt: number;
  id: string;
}

/**
 * One page in (createdAt, id) order: a keyset, so pages stay consistent and
 * cheap however deep a caller goes. `next` is null on the last page.
 */
export async function listConnectionsPage(
  db: Db,
  filter: ConnectionFilter,
  page: { limit: number; after?: PagePosition | null },
): Promise<{ connections: Connection[]; next: PagePosition | null }> {
  const conditions = filterConditions(filter);
  const after = page.after;
  if (after) {
    conditions.push(
      or(
        gt(connections.createdAt, after.createdAt),
        and(eq(connections.createdAt, after.createdAt), gt(connections.id, after.id)),
      )!,
    );
  }
  const rows = await db.select().from(connections).where(and(...conditions))
    .orderBy(connections.createdAt, connections.id).limit(page.limit + 1);
  const list = rows.slice(0, page.limit).map(toConnection);
  const last = list.at(-1);
  return {
    connections: list,
    next: rows.length > page.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

function filterConditions(filter: ConnectionFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.appId) conditions.push(eq(connections.appId, filter.appId));
  if (filter.entityId) conditions.push(eq(connections.entityId, filter.entityId));
  if (filter.provider) conditions.push(eq(connections.provider, filter.provider));
  if (filter.status) conditions.push(eq(connections.status, filter.status));
  else if (!filter.includeRevoked) conditions.push(ne(connections.status, "revoked"));
  return conditions;
}

export async function insertConnection(db: Db | Tx, connection: Connection): Promise<void> {
  await db.insert(connections).values(toRow(connection));
}

export type ConnectionPatch = Partial<
  Pick<
    Connection,
    | "status"
    | "scopes"
    | "account"
    | "credentialId"
    | "credentialExpiresAt"
    | "refreshable"
    | "sessionId"
  >
>;

/** Applies a change and bumps `version`, which invalidates every cache of this connection. */
export async function updateConnection(
  db: Db | Tx,
  id: string,
  patch: ConnectionPatch,
  now: number,
): Promise<void> {
  const { scopes, account, ...rest } = patch;
  await db.update(connections).set({
    ...rest,
    ...(scopes ? { scopes: JSON.stringify(scopes) } : {}),
    ...(account !== undefined ? { account: account ? JSON.stringify(account) : null } : {}),
    version: sql`${connections.version} + 1`,
    updatedAt: now,
  }).where(eq(connections.id, id));
}
