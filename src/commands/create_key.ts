import { type ApiKeyRecord, createApiKey } from "../apps/key_store.ts";
import type { KeyRole } from "../apps/key_role.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * A new API key for an app (a backend key unless told); the secret is
 * returned this once, the audit record names its id and role.
 */
export async function createKeyCommand(
  ctx: CommandContext,
  appId: string,
  role: KeyRole = "backend",
): Promise<{ record: ApiKeyRecord; secret: string }> {
  return await ctx.database.transaction(async (tx) => {
    const created = await createApiKey(tx, appId, ctx, role);
    await recordAdminEvent(tx, {
      kind: "admin.key.created",
      by: ctx.by,
      appId,
      data: { keyId: created.record.id, role },
    }, ctx.now());
    return created;
  });
}
