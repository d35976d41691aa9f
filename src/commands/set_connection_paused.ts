import type { Connection } from "../connections/connection_types.ts";
import { setPaused } from "../connections/lifecycle.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Pauses (the proxy answers SX-PAUSED) or resumes a connection, with its
 * audit record and webhook event; cached callers and credentials go after commit.
 */
export async function setConnectionPausedCommand(
  ctx: CommandContext,
  connection: Connection,
  paused: boolean,
): Promise<void> {
  await setPaused(ctx, connection, paused, { by: ctx.by });
  ctx.after.connectionChanged?.(connection);
}
