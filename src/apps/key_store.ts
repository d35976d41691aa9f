import { and, eq, isNull } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { apiKeys } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { digestApiKey, generateApiKey, keyHint, looksLikeApiKey } from "./api_key.ts";
import type { KeyRole } from "./key_role.ts";

export interface ApiKeyRecord {
  id: string;
  appId: string;
  hint: string;
  role: KeyRole;
  /** The agent an agent key is bound to (see apps/key_agent.ts); null: any agent. */
  agentId: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

function toRecord(row: typeof apiKeys.$inferSelect): ApiKeyRecord {
  return {
    id: row.id,
    appId: row.appId,
    hint: row.hint,
    role: row.role,
    agentId: row.agentId,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/**
 * Creates a key (a backend key unless told; an agent key bound to `agentId`
 * when given, which the caller checked is a registered agent); the secret is
 * returned this once and only its digest is stored.
 */
export async function createApiKey(
  db: Db | Tx,
  appId: string,
  deps: { now: () => number; random?: (bytes: Uint8Array) => Uint8Array },
  role: KeyRole = "backend",
  agentId: string | null = null,
): Promise<{ record: ApiKeyRecord; secret: string }> {
  const secret = generateApiKey(deps.random);
  const row = {
    id: newId("key"),
    appId,
    digest: digestApiKey(secret),
    hint: keyHint(secret),
    role,
    agentId,
    createdAt: deps.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await db.insert(apiKeys).values(row);
  return { record: toRecord(row), secret };
}

export async function listApiKeys(db: Db, appId: string): Promise<ApiKeyRecord[]> {
  const rows = await db.select().from(apiKeys).where(eq(apiKeys.appId, appId)).orderBy(
    apiKeys.createdAt,
  );
  return rows.map(toRecord);
}

/** Revokes a key; `changed` is false when it was already revoked. */
export async function revokeApiKey(
  db: Db | Tx,
  keyId: string,
  deps: { now: () => number },
): Promise<{ record: ApiKeyRecord; changed: boolean }> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).limit(1);
  if (!row) {
    throw new SecurixError(
      "SX-KEY-NOT-FOUND",
      `No API key "${keyId}"; see "securix keys list APP"`,
      {
        status: 404,
      },
    );
  }
  if (row.revokedAt !== null) return { record: toRecord(row), changed: false };
  const revokedAt = deps.now();
  await db.update(apiKeys).set({ revokedAt }).where(eq(apiKeys.id, keyId));
  return { record: toRecord({ ...row, revokedAt }), changed: true };
}

/**
 * Resolves a presented key to its live record by digest. The digest is the
 * only thing compared, so timing reveals nothing about stored keys.
 */
export async function findLiveKey(db: Db, presented: string): Promise<ApiKeyRecord | null> {
  if (!looksLikeApiKey(presented)) return null;
  const [row] = await db.select().from(apiKeys).where(
    and(eq(apiKeys.digest, digestApiKey(presented)), isNull(apiKeys.revokedAt)),
  ).limit(1);
  return row ? toRecord(row) : null;
}

export async function touchApiKey(db: Db, keyId: string, at: number): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, keyId));
}

/** Revokes every live key of an app (app deletion); returns how many. */
export async function revokeAppKeys(db: Db | Tx, appId: string, at: number): Promise<number> {
  const result = await db.update(apiKeys).set({ revokedAt: at }).where(
    and(eq(apiKeys.appId, appId), isNull(apiKeys.revokedAt)),
  );
  return result.rowsAffected;
}

/**
 * Revokes the live keys bound to an agent (the agent is being removed), so
 * an agent added again under the same id does not get its old keys back.
 */
export async function revokeAgentKeys(
  db: Db | Tx,
  appId: string,
  agentId: string,
  at: number,
): Promise<ApiKeyRecord[]> {
  const rows = await db.update(apiKeys).set({ revokedAt: at }).where(
    and(eq(apiKeys.appId, appId), eq(apiKeys.agentId, agentId), isNull(apiKeys.revokedAt)),
  ).returning();
  return rows.map(toRecord);
}
