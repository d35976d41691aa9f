import { rotateEndpointSecret } from "../webhooks/endpoint_store.ts";
import type { CommandContext } from "./command_context.ts";

/** A new signing secret; the old one signs beside it for `graceMs`. */
export async function rotateWebhookSecretCommand(
  ctx: CommandContext,
  endpointId: string,
  graceMs: number,
  appId: string | null = null,
): Promise<{ secret: string; oldValidUntil: number }> {
  return await rotateEndpointSecret(
    { db: ctx.database.db, vault: ctx.vault, now: ctx.now },
    endpointId,
    graceMs,
    appId,
    ctx.by,
  );
}
