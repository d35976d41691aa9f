import type { ApiKeyRecord } from "../apps/key_store.ts";
import type { App } from "../apps/app_store.ts";
import { createAppWithKey } from "../apps/create_app_with_key.ts";
import type { CommandContext } from "./command_context.ts";

/** An app and its first key (shown once), both audited in one transaction. */
export async function createAppCommand(
  ctx: CommandContext,
  input: { name: string; origins: string[] },
): Promise<{ app: App; record: ApiKeyRecord; secret: string }> {
  return await createAppWithKey(ctx.database, input, ctx);
}
