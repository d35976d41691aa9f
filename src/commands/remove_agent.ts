import { removeAgent } from "../agents/agent_store.ts";
import { endAgentApprovals } from "../approvals/approval_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import { revokeAgentGrants } from "../mcp/mcp_grant_store.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Unregisters an agent, audited; its next request is refused once the cache
 * is dropped. In the same transaction its MCP URLs are revoked for good, each
 * audited as a revocation is, and its pending or approved, unused approvals
 * end (expired), so an agent added again under the same id inherits neither.
 */
export async function removeAgentCommand(
  ctx: CommandContext,
  appId: string,
  agentId: string,
): Promise<void> {
  await ctx.database.transaction(async (tx) => {
    await removeAgent(tx, appId, agentId);
    const at = ctx.now();
    const grants = await revokeAgentGrants(tx, appId, agentId, at);
    const approvalsEnded = await endAgentApprovals(tx, appId, agentId, at);
    await recordAdminEvent(tx, {
      kind: "admin.agent.removed",
      by: ctx.by,
      appId,
      agentId,
      data: { mcpUrlsRevoked: grants.length, approvalsEnded },
    }, at);
    for (const grant of grants) {
      await recordAdminEvent(tx, {
        kind: "admin.mcp_url.revoked",
        by: ctx.by,
        appId,
        agentId,
        data: { grantId: grant.id, entityId: grant.entityId, reason: "agent_removed" },
      }, at);
    }
  });
  ctx.after.agentsChanged?.();
}
