import { queueTestEvent } from "../webhooks/test_event.ts";
import type { CommandContext } from "./command_context.ts";

/** Queues a `webhook.test` event to every endpoint of the app; returns how many. */
export async function sendTestWebhookCommand(ctx: CommandContext, appId: string): Promise<number> {
  return await queueTestEvent(ctx.database, appId, ctx.by, ctx.now());
}
