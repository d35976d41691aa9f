import { addAgent, type addAgentInput, type Agent } from "../agents/agent_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { z } from "zod";
import type { CommandContext } from "./command_context.ts";

/** Registers an agent for an app, audited; the proxy's agent cache is dropped after commit. */
export async function addAgentCommand(
  ctx: CommandContext,
  appId: string,
  input: z.input<typeof addAgentInput>,
): Promise<Agent> {
  const agent = await ctx.database.transaction(async (tx) => {
    const agent = await addAgent(tx, appId, input, ctx);
    await recordAdminEvent(tx, {
      kind: "admin.agent.added",
      by: ctx.by,
      appId,
      agentId: agent.agentId,
      data: { name: agent.name },
    }, ctx.now());
    return agent;
  });
  ctx.after.agentsChanged?.();
  return agent;
}
