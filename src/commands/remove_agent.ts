import { removeAgent } from "../agents/agent_store.ts";
import { endAgentApprovals } from "../approvals/approval_store.ts";
import { revokeAgentKeys } from "../apps/key_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import { revokeAgentGrants } from "../mcp/mcp_grant_store.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Unregisters an agent, audited; its next request is refused once the cache
 * is dropped. In the same transaction its MCP URLs are revoked for good, each
 * audited as a revocation is, its pending or approved, unused approvals end
 * (expired), and the agent keys bound to it are revoked, each audited, so an
 * agent added again under the same id inherits none of them.
 */
export async function removeAgentCommand(
  ctx: CommandContext,
  appId: string,
  agentId: string,
): Promise<void> {
  const keysRevoked = await ctx.database.transaction(async (tx) => {
    await removeAgent(tx, appId, agentId);
    const at = ctx.now();
    const grants = await revokeAgentGrants(tx, appId, agentId, at);
    const approvalsEnded = await endAgentApprovals(tx, appId, agentId, at);
    const keys = await revokeAgentKeys(tx, appId, agentId, at);
    await recordAdminEvent(tx, {
      kind: "admin.agent.removed",
      by: ctx.by,
      appId,
      agentId,
      data: { mcpUrlsRevoked: grants.length, approvalsEnded, keysRevoked: keys.length },
    }, at);
    for (const key of keys) {
      await recordAdminEvent(tx, {
        kind: "admin.key.revoked",
        by: ctx.by,
        appId,
        agentId,
        data: { keyId: key.id, reason: "agent_removed" },
      }, at);
    }
    for (const grant of grants) {
      await recordAdminEvent(tx, {
        kind: "admin.mcp_url.revoked",
        by: ctx.by,
        appId,
        agentId,
        data: { grantId: grant.id, entityId: grant.entityId, reason: "agent_removed" },
      }, at);
    }
    return keys.length;
  });
  ctx.after.agentsChanged?.();
  // As a revoke does: the app's cached keys are dropped, here and on the other isolates.
  if (keysRevoked > 0) ctx.after.appChanged?.(appId);
}
