import type { App } from "../apps/app_store.ts";
import { updateApp } from "../apps/update_app.ts";
import type { CommandContext } from "./command_context.ts";

/** Renames an app or changes its origins, audited; its cached keys carry the app and are dropped. */
export async function updateAppCommand(
  ctx: CommandContext,
  idOrName: string,
  input: { name?: string; addOrigins?: string[]; removeOrigins?: string[] },
): Promise<{ app: App; before: App }> {
  const result = await updateApp(ctx.database, idOrName, input, ctx);
  ctx.after.appChanged?.(result.app.id);
  return result;
}
