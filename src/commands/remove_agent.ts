import { removeAgent } from "../agents/agent_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { CommandContext } from "./command_context.ts";

/** Unregisters an agent, audited; its next request is refused once the cache is dropped. */
export async function removeAgentCommand(
  ctx: CommandContext,
  appId: string,
  agentId: string,
): Promise<void> {
  await ctx.database.transaction(async (tx) => {
    await removeAgent(tx, appId, agentId);
    await recordAdminEvent(tx, {
      kind: "admin.agent.removed",
      by: ctx.by,
      appId,
      agentId,
    }, ctx.now());
  });
  ctx.after.agentsChanged?.();
}
