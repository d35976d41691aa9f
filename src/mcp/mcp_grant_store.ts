import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { agentIdSchema } from "../agents/agent_store.ts";
import { type App, toApp } from "../apps/app_store.ts";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { agents, apps, mcpGrants } from "../db/schema.ts";
import { entityIdSchema } from "../identifiers/identifier.ts";
import { proxyErrors } from "../proxy/proxy_errors.ts";
import { secretsEqual } from "../flows/secret_compare.ts";
import { mcpErrors } from "./mcp_errors.ts";
import { digestGrant, generateGrant, verifiedGrantId } from "./mcp_grant_token.ts";

export const DEFAULT_GRANT_TTL_S = 24 * 3600;
export const MAX_GRANT_TTL_S = 30 * 24 * 3600;

export const createGrantInput = z.strictObject({
  entityId: entityIdSchema,
  agentId: agentIdSchema,
  providers: z.array(z.string().regex(/^[a-z0-9_-]{1,64}$/)).min(1).max(50).optional(),
  ttlSeconds: z.number().int().min(60).optional(),
});

export type CreateGrantInput = z.output<typeof createGrantInput>;

/** A grant as listings show it: never the grant itself. */
export interface McpGrant {
  id: string;
  appId: string;
  entityId: string;
  agentId: string;
  /** null = every provider enabled on the appliance. */
  providers: string[] | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

type GrantRow = typeof mcpGrants.$inferSelect;

function toGrant(row: GrantRow): McpGrant {
  return {
    id: row.id,
    appId: row.appId,
    entityId: row.entityId,
    agentId: row.agentId,
    providers: row.providers === null ? null : JSON.parse(row.providers),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
  };
}

export interface GrantDeps {
  now: () => number;
  /** The signing key (derived from the master key, LABELS.mcpGrant). */
  key: Uint8Array;
  random?: (bytes: Uint8Array) => Uint8Array;
}

/**
 * Stores a grant for `app` and returns it with its secret, shown this once.
 * The agent must be registered (an unknown one could never call anyway);
 * provider names are checked by the caller against the appliance's.
 */
export async function createGrant(
  db: Db | Tx,
  app: App,
  input: CreateGrantInput,
  deps: GrantDeps,
): Promise<{ grant: McpGrant; secret: string }> {
  const ttlS = input.ttlSeconds ?? DEFAULT_GRANT_TTL_S;
  if (ttlS > MAX_GRANT_TTL_S) throw mcpErrors.ttlTooLong(MAX_GRANT_TTL_S);
  const [agent] = await db.select({ id: agents.id }).from(agents).where(
    and(eq(agents.appId, app.id), eq(agents.agentId, input.agentId)),
  ).limit(1);
  if (!agent) throw proxyErrors.unknownAgent(input.agentId);
  const id = newId("mcp", deps.random);
  const secret = generateGrant(id, deps.key, deps.random);
  const now = deps.now();
  const row: GrantRow = {
    id,
    appId: app.id,
    entityId: input.entityId,
    agentId: input.agentId,
    providers: input.providers ? JSON.stringify([...new Set(input.providers)].sort()) : null,
    digest: digestGrant(secret),
    createdAt: now,
    expiresAt: now + ttlS * 1000,
    revokedAt: null,
  };
  await db.insert(mcpGrants).values(row);
  return { grant: toGrant(row), secret };
}

/** The caller an MCP request acts as, read fresh from the database. */
export interface GrantedCaller {
  grant: McpGrant;
  app: App;
}

/**
 * The grant presented, checked in full on every request (one indexed read):
 * signature, digest, revocation, expiry, the app still there and the agent
 * still registered. Nothing is cached, so a revocation from any process or
 * isolate (the API, the CLI) ends it at the next request.
 */
export async function resolveGrant(
  db: Db,
  presented: string | null,
  deps: Pick<GrantDeps, "key" | "now">,
): Promise<GrantedCaller> {
  if (!presented) throw mcpErrors.grantInvalid();
  const id = verifiedGrantId(presented, deps.key);
  if (id === null) throw mcpErrors.grantInvalid();
  const [row] = await db.select({ grant: mcpGrants, app: apps, agent: agents.id })
    .from(mcpGrants)
    .innerJoin(apps, eq(apps.id, mcpGrants.appId))
    .leftJoin(agents, and(eq(agents.appId, mcpGrants.appId), eq(agents.agentId, mcpGrants.agentId)))
    .where(eq(mcpGrants.id, id)).limit(1);
  if (!row || !secretsEqual(row.grant.digest, digestGrant(presented))) {
    throw mcpErrors.grantInvalid();
  }
  if (row.grant.revokedAt !== null || row.app.deletedAt !== null) throw mcpErrors.grantRevoked();
  if (row.grant.expiresAt <= deps.now()) throw mcpErrors.grantExpired();
  if (row.agent === null) throw proxyErrors.unknownAgent(row.grant.agentId);
  return { grant: toGrant(row.grant), app: toApp(row.app) };
}

/** Grants of one app (or every app), newest first. */
export async function listGrants(db: Db, appId?: string): Promise<McpGrant[]> {
  const rows = await db.select().from(mcpGrants)
    .where(appId === undefined ? undefined : eq(mcpGrants.appId, appId))
    .orderBy(desc(mcpGrants.createdAt));
  return rows.map(toGrant);
}

/**
 * Revokes a grant (of `appId` only, when given); `changed` is false when it
 * was already revoked. Unknown, or another app's: SX-MCP-GRANT-NOT-FOUND.
 */
export async function revokeGrant(
  db: Db | Tx,
  id: string,
  deps: { now: () => number; appId?: string },
): Promise<{ grant: McpGrant; changed: boolean }> {
  const where = deps.appId === undefined
    ? eq(mcpGrants.id, id)
    : and(eq(mcpGrants.id, id), eq(mcpGrants.appId, deps.appId));
  const [row] = await db.select().from(mcpGrants).where(where).limit(1);
  if (!row) throw mcpErrors.grantNotFound(id);
  if (row.revokedAt !== null) return { grant: toGrant(row), changed: false };
  const at = deps.now();
  await db.update(mcpGrants).set({ revokedAt: at }).where(
    and(eq(mcpGrants.id, id), isNull(mcpGrants.revokedAt)),
  );
  return { grant: toGrant({ ...row, revokedAt: at }), changed: true };
}

/**
 * Revokes every live grant of one agent (agent removal), for good: a grant
 * names its agent by id only, so an agent registered again under the same id
 * must not bring back the URLs handed out to the removed one.
 */
export async function revokeAgentGrants(
  tx: Tx,
  appId: string,
  agentId: string,
  at: number,
): Promise<McpGrant[]> {
  const rows = await tx.update(mcpGrants).set({ revokedAt: at }).where(
    and(eq(mcpGrants.appId, appId), eq(mcpGrants.agentId, agentId), isNull(mcpGrants.revokedAt)),
  ).returning();
  return rows.map(toGrant);
}
