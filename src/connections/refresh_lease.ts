import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { refreshLeases } from "../db/schema.ts";

/**
 * A lease row per connection: whoever holds an unexpired lease is the only
 * one allowed to call the provider's token endpoint for it, across every
 * process sharing the database. An expired lease (a crashed holder) can be
 * taken over.
 */
export async function acquireLease(
  db: Db,
  connectionId: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  const rows = await db.insert(refreshLeases).values({
    connectionId,
    owner,
    expiresAt: now + leaseMs,
  }).onConflictDoUpdate({
    target: refreshLeases.connectionId,
    set: { owner, expiresAt: now + leaseMs },
    setWhere: sql`${refreshLeases.expiresAt} <= ${now}`,
  }).returning({ owner: refreshLeases.owner });
  return rows.length === 1 && rows[0].owner === owner;
}

export async function releaseLease(db: Db, connectionId: string, owner: string): Promise<void> {
  await db.delete(refreshLeases).where(
    and(eq(refreshLeases.connectionId, connectionId), eq(refreshLeases.owner, owner)),
  );
}
