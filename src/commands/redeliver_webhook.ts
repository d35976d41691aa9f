import { redeliver } from "../webhooks/delivery_store.ts";
import type { CommandContext } from "./command_context.ts";

/** Queues a delivery again (same webhook-id); `appId` confines it to that app's deliveries. */
export async function redeliverWebhookCommand(
  ctx: CommandContext,
  deliveryId: string,
  appId: string | null = null,
): Promise<void> {
  await redeliver(ctx.database, deliveryId, ctx.now(), ctx.by, appId);
}
