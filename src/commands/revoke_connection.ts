import type { Connection } from "../connections/connection_types.ts";
import { revokeConnection } from "../connections/revoke_connection.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Revokes at the provider where it can, deletes the credential, records and
 * notifies; cached callers and credentials go after commit.
 */
export async function revokeConnectionCommand(
  ctx: CommandContext,
  providers: ProviderRegistry,
  connection: Connection,
): Promise<{ providerRevoked: boolean }> {
  return await revokeConnection(
    {
      database: ctx.database,
      vault: ctx.vault,
      now: ctx.now,
      providers,
      onRevoked: ctx.after.connectionChanged,
    },
    connection,
    { by: ctx.by },
  );
}
