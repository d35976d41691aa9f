import { appendAudit } from "../audit/append.ts";
import type { Database } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { approvals } from "../db/schema.ts";
import { enqueueEvent } from "../webhooks/outbox.ts";
import { summaryForAudit } from "./approval_summary.ts";
import { approvalLink, digestLinkToken, newLinkToken } from "./approval_link.ts";
import { approvalFromRow, type ApprovalRow } from "./approval_store.ts";
import type { Approval, HeldCall } from "./approval_types.ts";

export interface ApprovalRequestDeps {
  database: Database;
  now: () => number;
  /** `[server] public_url`: where the approve/deny links point. */
  publicUrl: string;
  /** `[security] approval_ttl`. */
  ttlMs: number;
  random?: (bytes: Uint8Array) => Uint8Array;
}

/**
 * Records a held call as a pending approval, with its audit record and its
 * `approval.requested` webhook (carrying the two single-use links), in one
 * transaction: the links exist exactly when the approval does. The tokens
 * leave only in the webhook; the row keeps their digests.
 */
export async function requestApproval(
  deps: ApprovalRequestDeps,
  call: HeldCall,
): Promise<Approval> {
  const now = deps.now();
  const approve = newLinkToken(deps.random);
  const deny = newLinkToken(deps.random);
  const row: ApprovalRow = {
    id: newId("apr", deps.random),
    ...call,
    summary: JSON.stringify(call.summary),
    status: "pending",
    createdAt: now,
    expiresAt: now + deps.ttlMs,
    approveDigest: digestLinkToken(approve),
    denyDigest: digestLinkToken(deny),
    decidedBy: null,
    decidedAt: null,
    usedAt: null,
  };
  const approval = approvalFromRow(row, now);
  const facts = {
    approvalId: row.id,
    operation: call.operation,
    rule: call.rule,
    method: call.method,
    path: call.path,
    summary: call.summary,
    expiresAt: new Date(row.expiresAt).toISOString(),
  };
  await deps.database.transaction(async (tx) => {
    await tx.insert(approvals).values(row);
    await appendAudit(tx, [{
      kind: "approval.requested",
      at: now,
      appId: call.appId,
      agentId: call.agentId,
      entityId: call.entityId,
      provider: call.provider,
      // The summary, never the links: a record outlives the approval.
      data: { ...facts, summary: summaryForAudit(call.summary), connectionId: call.connectionId },
    }]);
    await enqueueEvent(tx, {
      appId: call.appId,
      type: "approval.requested",
      orderingKey: row.id,
      data: {
        ...facts,
        agentId: call.agentId,
        entityId: call.entityId,
        connectionId: call.connectionId,
        provider: call.provider,
        links: {
          approve: approvalLink(deps.publicUrl, row.id, approve),
          deny: approvalLink(deps.publicUrl, row.id, deny),
        },
      },
    }, now);
  });
  return approval;
}
