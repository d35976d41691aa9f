import { addEndpoint, type WebhookEndpoint } from "../webhooks/endpoint_store.ts";
import { checkWebhookTarget, type Resolver } from "../webhooks/target_policy.ts";
import type { CommandContext } from "./command_context.ts";

export interface WebhookTargetPolicy {
  allowPrivate: boolean;
  resolve: Resolver;
}

/**
 * Adds an endpoint after checking its target (TargetRefused when it points
 * inside the network); the signing secret is returned this once.
 */
export async function addWebhookCommand(
  ctx: CommandContext,
  policy: WebhookTargetPolicy,
  appId: string,
  input: { url: string; events: string[] },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await checkWebhookTarget(input.url, policy);
  return await addEndpoint(
    { db: ctx.database.db, vault: ctx.vault, now: ctx.now },
    appId,
    input.url,
    input.events,
    ctx.by,
  );
}
