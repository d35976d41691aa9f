import { recordAdminEvent } from "../audit/admin_event.ts";
import { type McpGrant, revokeGrant } from "../mcp/mcp_grant_store.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Revokes an MCP URL (of `appId` only, when given), audited with the actor;
 * its next request is refused (grants are read per request, nothing cached).
 */
export function revokeMcpUrlCommand(
  ctx: CommandContext,
  id: string,
  options: { appId?: string } = {},
): Promise<{ grant: McpGrant; changed: boolean }> {
  return ctx.database.transaction(async (tx) => {
    const result = await revokeGrant(tx, id, { now: ctx.now, ...options });
    if (result.changed) {
      await recordAdminEvent(tx, {
        kind: "admin.mcp_url.revoked",
        by: ctx.by,
        appId: result.grant.appId,
        agentId: result.grant.agentId,
        data: { grantId: result.grant.id, entityId: result.grant.entityId },
      }, ctx.now());
    }
    return result;
  });
}
