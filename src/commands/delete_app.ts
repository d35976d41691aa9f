import type { ConnectionFate } from "../apps/app_input.ts";
import { deleteApp, type DeleteAppResult } from "../apps/delete_app.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Deletes an app: keys revoked and agents removed (caches dropped as soon as
 * that commits), then its connections revoked or kept.
 */
export async function deleteAppCommand(
  ctx: CommandContext,
  providers: ProviderRegistry,
  appId: string,
  options: { connections: ConnectionFate },
): Promise<DeleteAppResult> {
  return await deleteApp(
    {
      database: ctx.database,
      vault: ctx.vault,
      providers,
      now: ctx.now,
      by: ctx.by,
      onRevoked: ctx.after.connectionChanged,
      afterCommit: (app) => {
        ctx.after.appChanged?.(app.id);
        ctx.after.agentsChanged?.();
      },
    },
    appId,
    options,
  );
}
