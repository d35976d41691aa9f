import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema.ts";
import { type EventType, subscribedTo } from "./event_types.ts";

export interface OutboxEvent {
  appId: string;
  type: EventType;
  data: Record<string, unknown>;
  /** Events with the same key reach each endpoint in the order they happened. */
  orderingKey: string;
}

/**
 * Writes one delivery row per subscribed endpoint, inside the caller's
 * transaction: the event exists exactly when the change it reports does.
 */
export async function enqueueEvent(tx: Tx, event: OutboxEvent, now: number): Promise<number> {
  const endpoints = await tx.select().from(webhookEndpoints).where(
    eq(webhookEndpoints.appId, event.appId),
  );
  let queued = 0;
  for (const endpoint of endpoints) {
    const events = JSON.parse(endpoint.events) as string[];
    if (!subscribedTo(events, event.type)) continue;
    const id = newId("msg");
    const payload = JSON.stringify({
      type: event.type,
      timestamp: new Date(now).toISOString(),
      data: event.data,
    });
    await tx.insert(webhookDeliveries).values({
      id,
      endpointId: endpoint.id,
      appId: event.appId,
      eventType: event.type,
      payload,
      orderingKey: event.orderingKey,
      status: "pending",
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
    queued++;
  }
  return queued;
}
