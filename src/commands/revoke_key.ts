import { type ApiKeyRecord, revokeApiKey } from "../apps/key_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Revokes an API key, audited; `changed` is false when it was revoked
 * already. The app's cached keys are dropped after commit.
 */
export async function revokeKeyCommand(
  ctx: CommandContext,
  keyId: string,
): Promise<{ record: ApiKeyRecord; changed: boolean }> {
  const result = await ctx.database.transaction(async (tx) => {
    const result = await revokeApiKey(tx, keyId, ctx);
    if (!result.changed) return result;
    await recordAdminEvent(tx, {
      kind: "admin.key.revoked",
      by: ctx.by,
      appId: result.record.appId,
      data: { keyId },
    }, ctx.now());
    return result;
  });
  if (result.changed) ctx.after.appChanged?.(result.record.appId);
  return result;
}
