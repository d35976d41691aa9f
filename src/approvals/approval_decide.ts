import { and, eq, gt, ne } from "drizzle-orm";
import { appendAudit } from "../audit/append.ts";
import type { Actor } from "../audit/actor.ts";
import type { Database } from "../db/client.ts";
import { approvals } from "../db/schema.ts";
import { enqueueEvent } from "../webhooks/outbox.ts";
import { summaryForAudit } from "./approval_summary.ts";
import { approvalErrors } from "./approval_errors.ts";
import { approvalFromRow, findApprovalRow } from "./approval_store.ts";
import type { Approval, Decision } from "./approval_types.ts";

export interface DecideDeps {
  database: Database;
  now: () => number;
  /**
   * `[security] approval_ttl`: an approved call may be retried for this
   * long after the decision (a late approval still leaves time to retry).
   */
  ttlMs: number;
  /** After commit: wakes requests held open for this approval in this process. */
  onDecided?: (approval: Approval) => void;
}

export interface DecideInput {
  id: string;
  decision: Decision;
  /** `{actor: "link"}`, `apiActor(keyId)`, `cliActor(env)`, later a console user. */
  by: Actor;
  /** Only this app's approvals (the API): another app's id is not found. */
  appId?: string;
  /**
   * The agent id the decider sent (`securix-agent-id` on the API): the agent
   * whose call is held may not decide it (SX-APPROVAL-SELF). Checked in the
   * same conditional update, so it cannot race the decision. Advisory: the
   * header is the caller's word; key roles and approvalsViaApi are the guard.
   */
  notByAgent?: string;
}

/**
 * The one way an approval is decided — the approval page, the CLI and the
 * API all call it. pending → approved | denied in one conditional UPDATE
 * (a second decision, or one after expiry, changes nothing and is refused
 * with SX-APPROVAL-CLOSED), with the audit record and the `approval.decided`
 * webhook in the same transaction.
 */
export async function decideApproval(deps: DecideDeps, input: DecideInput): Promise<Approval> {
  const now = deps.now();
  const status = input.decision === "approve" ? "approved" : "denied";
  const decided = await deps.database.transaction(async (tx) => {
    const [row] = await tx.update(approvals)
      .set({
        status,
        decidedBy: input.by.actor,
        decidedAt: now,
        ...(status === "approved" ? { expiresAt: now + deps.ttlMs } : {}),
      })
      .where(and(
        eq(approvals.id, input.id),
        eq(approvals.status, "pending"),
        gt(approvals.expiresAt, now),
        ...(input.appId !== undefined ? [eq(approvals.appId, input.appId)] : []),
        ...(input.notByAgent !== undefined ? [ne(approvals.agentId, input.notByAgent)] : []),
      ))
      .returning();
    if (!row) return null;
    const approval = approvalFromRow(row, now);
    const facts = {
      approvalId: row.id,
      decision: status,
      operation: row.operation,
      rule: row.rule,
      summary: approval.summary,
    };
    await appendAudit(tx, [{
      kind: "approval.decided",
      at: now,
      appId: row.appId,
      agentId: row.agentId,
      entityId: row.entityId,
      provider: row.provider,
      data: { ...facts, summary: summaryForAudit(approval.summary), ...input.by },
    }]);
    await enqueueEvent(tx, {
      appId: row.appId,
      type: "approval.decided",
      orderingKey: row.id,
      data: {
        ...facts,
        decidedBy: input.by.actor,
        agentId: row.agentId,
        entityId: row.entityId,
        connectionId: row.connectionId,
        ...(status === "approved" ? { expiresAt: new Date(row.expiresAt).toISOString() } : {}),
      },
    }, now);
    return approval;
  });
  if (decided) {
    deps.onDecided?.(decided);
    return decided;
  }
  const row = await findApprovalRow(deps.database.db, input.id);
  if (!row || (input.appId !== undefined && row.appId !== input.appId)) {
    throw approvalErrors.notFound();
  }
  const found = approvalFromRow(row, now);
  if (found.status === "pending" && row.agentId === input.notByAgent) {
    throw approvalErrors.self(found);
  }
  throw approvalErrors.closed(found);
}
