import { findAgent } from "../agents/agent_store.ts";
import { type ApiKeyRecord, createApiKey } from "../apps/key_store.ts";
import type { KeyRole } from "../apps/key_role.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Tx } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { CommandContext } from "./command_context.ts";

export interface NewKey {
  /** Default `backend`. */
  role?: KeyRole;
  /** Binds an agent key to this registered agent of the app; default none (any agent). */
  agentId?: string | null;
}

/**
 * A new API key for an app (a backend key unless told); the secret is
 * returned this once, the audit record names its id, role and bound agent.
 */
export async function createKeyCommand(
  ctx: CommandContext,
  appId: string,
  { role = "backend", agentId = null }: NewKey = {},
): Promise<{ record: ApiKeyRecord; secret: string }> {
  return await ctx.database.transaction(async (tx) => {
    if (agentId !== null) await checkBinding(tx, appId, role, agentId);
    const created = await createApiKey(tx, appId, ctx, role, agentId);
    await recordAdminEvent(tx, {
      kind: "admin.key.created",
      by: ctx.by,
      appId,
      agentId,
      data: { keyId: created.record.id, role, agentId },
    }, ctx.now());
    return created;
  });
}

/** Only an agent key is bound, and only to an agent the app registered. */
async function checkBinding(tx: Tx, appId: string, role: KeyRole, agentId: string): Promise<void> {
  if (role !== "agent") {
    throw new SecurixError(
      "SX-INVALID-INPUT",
      `Only an agent key can be bound to an agent: a backend key acts for any agent (use role agent to bind one to "${agentId}")`,
      { status: 400 },
    );
  }
  if (await findAgent(tx, appId, agentId) === null) {
    throw new SecurixError(
      "SX-AGENT-NOT-FOUND",
      `No agent "${agentId}" for this app; register it first (securix agents add APP ${agentId})`,
      { status: 404 },
    );
  }
}
