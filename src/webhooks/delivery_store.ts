import { and, desc, eq } from "drizzle-orm";
import type { Actor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Database, Db } from "../db/client.ts";
import { webhookDeliveries } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";

export interface DeliveryView {
  id: string;
  endpointId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export async function listDeliveries(db: Db, appId: string, limit = 50): Promise<DeliveryView[]> {
  const rows = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.appId, appId))
    .orderBy(desc(webhookDeliveries.createdAt)).limit(limit);
  return rows.map((
    { payload: _p, orderingKey: _k, claimedBy: _c, claimedUntil: _u, appId: _a, ...rest },
  ) => rest);
}

/**
 * Queues a delivery again (same webhook-id, so receivers can dedupe), and
 * records who asked in the audit log, in the same transaction.
 */
export async function redeliver(
  database: Database,
  id: string,
  now: number,
  by: Actor,
  appId: string | null = null,
): Promise<void> {
  const conditions = [eq(webhookDeliveries.id, id)];
  if (appId) conditions.push(eq(webhookDeliveries.appId, appId));
  await database.transaction(async (tx) => {
    const [queued] = await tx.update(webhookDeliveries).set({
      status: "pending",
      nextAttemptAt: now,
      deliveredAt: null,
      claimedBy: null,
      claimedUntil: null,
    }).where(and(...conditions)).returning({
      appId: webhookDeliveries.appId,
      eventType: webhookDeliveries.eventType,
    });
    if (!queued) {
      throw new SecurixError("SX-DELIVERY-NOT-FOUND", `No webhook delivery "${id}"`, {
        status: 404,
      });
    }
    await recordAdminEvent(tx, {
      kind: "admin.webhook.redelivered",
      by,
      appId: queued.appId,
      data: { deliveryId: id, eventType: queued.eventType },
    }, now);
  });
}
