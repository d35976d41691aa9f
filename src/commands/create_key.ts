import { type ApiKeyRecord, createApiKey } from "../apps/key_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { CommandContext } from "./command_context.ts";

/** A new API key for an app; the secret is returned this once, the audit record names its id. */
export async function createKeyCommand(
  ctx: CommandContext,
  appId: string,
): Promise<{ record: ApiKeyRecord; secret: string }> {
  return await ctx.database.transaction(async (tx) => {
    const created = await createApiKey(tx, appId, ctx);
    await recordAdminEvent(tx, {
      kind: "admin.key.created",
      by: ctx.by,
      appId,
      data: { keyId: created.record.id },
    }, ctx.now());
    return created;
  });
}
