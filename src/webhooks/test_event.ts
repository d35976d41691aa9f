import type { Actor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Database } from "../db/client.ts";
import { enqueueEvent } from "./outbox.ts";

/**
 * Queues a `webhook.test` event to every endpoint of the app that takes it,
 * recorded in the audit log with who asked. Returns how many were queued.
 */
export async function queueTestEvent(
  database: Database,
  appId: string,
  by: Actor,
  now: number,
): Promise<number> {
  return await database.transaction(async (tx) => {
    const queued = await enqueueEvent(tx, {
      appId,
      type: "webhook.test",
      data: { appId },
      orderingKey: `test:${appId}`,
    }, now);
    await recordAdminEvent(tx, { kind: "admin.webhook.tested", by, appId, data: { queued } }, now);
    return queued;
  });
}
