import { eraseEntity, type EraseResult } from "../entities/erase_entity.ts";
import type { EntityRef } from "../entities/entity_rows.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Erases what an app holds about one of its end users (connections revoked,
 * then every row deleted, one `entity.erased` record); cached callers and
 * credentials go after each revocation, held requests wake after commit.
 */
export function eraseEntityCommand(
  ctx: CommandContext,
  providers: ProviderRegistry,
  ref: EntityRef,
): Promise<EraseResult> {
  return eraseEntity({
    database: ctx.database,
    vault: ctx.vault,
    providers,
    now: ctx.now,
    by: ctx.by,
    onRevoked: ctx.after.connectionChanged,
    onApprovalEnded: ctx.after.approvalDecided,
  }, ref);
}
