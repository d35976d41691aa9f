import { decideApproval } from "../approvals/approval_decide.ts";
import type { Approval, Decision } from "../approvals/approval_types.ts";
import type { CommandContext } from "./command_context.ts";

/**
 * Approves or denies a pending approval, audited with the actor, with the
 * `approval.decided` webhook; requests held open for it in this process wake
 * after commit.
 */
export function decideApprovalCommand(
  ctx: CommandContext,
  input: { id: string; decision: Decision; appId?: string; notByAgent?: string; ttlMs: number },
): Promise<Approval> {
  return decideApproval(
    {
      database: ctx.database,
      now: ctx.now,
      ttlMs: input.ttlMs,
      onDecided: ctx.after.approvalDecided,
    },
    {
      id: input.id,
      decision: input.decision,
      by: ctx.by,
      ...(input.appId !== undefined ? { appId: input.appId } : {}),
      ...(input.notByAgent !== undefined ? { notByAgent: input.notByAgent } : {}),
    },
  );
}
