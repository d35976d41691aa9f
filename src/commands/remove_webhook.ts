import { removeEndpoint, type WebhookEndpoint } from "../webhooks/endpoint_store.ts";
import type { CommandContext } from "./command_context.ts";

/** Removes an endpoint and its secrets; `appId` confines it to that app's endpoints. */
export async function removeWebhookCommand(
  ctx: CommandContext,
  endpointId: string,
  appId: string | null = null,
): Promise<WebhookEndpoint> {
  return await removeEndpoint(
    { db: ctx.database.db, vault: ctx.vault, now: ctx.now },
    endpointId,
    appId,
    ctx.by,
  );
}
