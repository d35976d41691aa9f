import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { gatewayRequests } from "../db/schema.ts";

export type GatewayRequest = typeof gatewayRequests.$inferSelect;

export async function insertGatewayRequest(tx: Db | Tx, row: GatewayRequest): Promise<void> {
  await tx.insert(gatewayRequests).values(row);
}

export async function findByLinkHash(db: Db, linkHash: string): Promise<GatewayRequest | null> {
  const [row] = await db.select().from(gatewayRequests).where(
    eq(gatewayRequests.linkHash, linkHash),
  ).limit(1);
  return row ?? null;
}

export async function findBySession(db: Db, sessionId: string): Promise<GatewayRequest | null> {
  const [row] = await db.select().from(gatewayRequests).where(
    eq(gatewayRequests.sessionId, sessionId),
  ).limit(1);
  return row ?? null;
}

/** The newest request that promised this connection id. */
export async function latestForConnection(
  db: Db,
  connectionId: string,
): Promise<GatewayRequest | null> {
  const [row] = await db.select().from(gatewayRequests).where(
    eq(gatewayRequests.connectionId, connectionId),
  ).orderBy(desc(gatewayRequests.createdAt)).limit(1);
  return row ?? null;
}

/** Marks the link used; false when another browser claimed it first. */
export async function claimLink(db: Db, sessionId: string, now: number): Promise<boolean> {
  const result = await db.update(gatewayRequests).set({ linkUsedAt: now }).where(
    and(eq(gatewayRequests.sessionId, sessionId), isNull(gatewayRequests.linkUsedAt)),
  );
  return result.rowsAffected > 0;
}
