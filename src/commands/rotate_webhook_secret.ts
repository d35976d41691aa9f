import { rotateEndpointSecret } from "../webhooks/endpoint_store.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * A new signing secret; the old one signs beside it for `graceMs`. During an
 * earlier rotation's grace only `graceMs` 0 is accepted (SX-WEBHOOK-ROTATING).
 */
export async function rotateWebhookSecretCommand(
  ctx: CommandContext,
  endpointId: string,
  graceMs: number,
  appId: string | null = null,
): Promise<{ secret: string; oldValidUntil: number; rotatingUntil: number | null }> {
  return await rotateEndpointSecret(
    { db: ctx.database.db, vault: ctx.vault, now: ctx.now },
    endpointId,
    graceMs,
    appId,
    ctx.by,
  );
}
