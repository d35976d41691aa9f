import { and, desc, eq, gt, inArray, lt, lte, or, type SQL } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { approvals } from "../db/schema.ts";
import type { Approval, ApprovalStatus, ApprovalSummary } from "./approval_types.ts";

export type ApprovalRow = typeof approvals.$inferSelect;

/** A stored row as callers see it: `expired` derived from the clock. */
export function approvalFromRow(row: ApprovalRow, now: number): Approval {
  const stored = row.status as ApprovalStatus;
  const lapsed = (stored === "pending" || stored === "approved") && row.expiresAt <= now;
  return {
    id: row.id,
    appId: row.appId,
    agentId: row.agentId,
    entityId: row.entityId,
    connectionId: row.connectionId,
    provider: row.provider,
    operation: row.operation,
    rule: row.rule,
    method: row.method,
    path: row.path,
    requestHash: row.requestHash,
    summary: JSON.parse(row.summary) as ApprovalSummary,
    status: lapsed ? "expired" : stored,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    usedAt: row.usedAt,
  };
}

/** Only ids this module issues are looked up: anything else is simply not found. */
export function looksLikeApprovalId(id: string): boolean {
  return /^apr_[a-z2-7]{16}$/.test(id);
}

export async function findApprovalRow(db: Db, id: string): Promise<ApprovalRow | null> {
  if (!looksLikeApprovalId(id)) return null;
  const [row] = await db.select().from(approvals).where(eq(approvals.id, id)).limit(1);
  return row ?? null;
}

/** One approval; with `appId`, only that app's (another app's id is not found). */
export async function findApproval(
  db: Db,
  id: string,
  now: number,
  appId?: string,
): Promise<Approval | null> {
  const row = await findApprovalRow(db, id);
  if (!row || (appId !== undefined && row.appId !== appId)) return null;
  return approvalFromRow(row, now);
}

export interface ApprovalQuery {
  appId?: string;
  /** Only this user's (the app's entity id). */
  entityId?: string;
  status?: ApprovalStatus;
  limit?: number;
  /** Continues below the last item of the previous page (newest first). */
  after?: { createdAt: number; id: string } | null;
}

/** Newest first. */
export async function listApprovals(
  db: Db,
  query: ApprovalQuery,
  now: number,
): Promise<Approval[]> {
  const where: SQL[] = [];
  if (query.appId !== undefined) where.push(eq(approvals.appId, query.appId));
  if (query.entityId !== undefined) where.push(eq(approvals.entityId, query.entityId));
  const status = query.status;
  if (status === "pending" || status === "approved") {
    where.push(eq(approvals.status, status), gt(approvals.expiresAt, now));
  } else if (status === "expired") {
    where.push(
      and(inArray(approvals.status, ["pending", "approved"]), lte(approvals.expiresAt, now))!,
    );
  } else if (status !== undefined) {
    where.push(eq(approvals.status, status));
  }
  const after = query.after;
  if (after) {
    where.push(
      or(
        lt(approvals.createdAt, after.createdAt),
        and(eq(approvals.createdAt, after.createdAt), lt(approvals.id, after.id)),
      )!,
    );
  }
  const rows = await db.select().from(approvals)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(approvals.createdAt), desc(approvals.id))
    .limit(query.limit ?? 100);
  return rows.map((r) => approvalFromRow(r, now));
}

/** What makes two calls the same call: the same caller and the same request hash. */
export type SameCall = Omit<UseClaim, "id">;

/**
 * A pending approval for this very call (same caller, same request hash), so
 * an agent that repeats the call before anyone decided gets the same
 * approval instead of sending its person one more request.
 */
export async function findPendingFor(
  db: Db,
  call: SameCall,
  now: number,
): Promise<Approval | null> {
  const [row] = await db.select().from(approvals).where(and(sameCall(call), inTime("pending", now)))
    .orderBy(desc(approvals.createdAt)).limit(1);
  return row ? approvalFromRow(row, now) : null;
}

/**
 * The oldest approved, unused approval of this very call (same caller, same
 * request hash), in time: what a front door that cannot send
 * `securix-approval-id` (an MCP tool call) uses when the call is made again.
 * Using it still goes through claimUse, so it passes once.
 */
export async function findApprovedFor(
  db: Db,
  call: SameCall,
  now: number,
): Promise<Approval | null> {
  const [row] = await db.select().from(approvals)
    .where(and(sameCall(call), inTime("approved", now)))
    .orderBy(approvals.createdAt, approvals.id).limit(1);
  return row ? approvalFromRow(row, now) : null;
}

/**
 * The newest denial of this very call (same caller, same request hash)
 * decided less than `ttlMs` (`approval_ttl`) ago: a person's "no" holds as
 * long as a "yes" would, so an agent that retries the call in a loop gets
 * the denial instead of asking its person again and again.
 */
export async function findDeniedFor(
  db: Db,
  call: SameCall,
  now: number,
  ttlMs: number,
): Promise<Approval | null> {
  const [row] = await db.select().from(approvals).where(and(
    sameCall(call),
    eq(approvals.status, "denied"),
    gt(approvals.decidedAt, now - ttlMs),
  )).orderBy(desc(approvals.decidedAt), desc(approvals.id)).limit(1);
  return row ? approvalFromRow(row, now) : null;
}

/** Approvals of this very call: same caller, same request hash. */
function sameCall(call: SameCall): SQL {
  return and(
    eq(approvals.appId, call.appId),
    eq(approvals.agentId, call.agentId),
    eq(approvals.entityId, call.entityId),
    eq(approvals.connectionId, call.connectionId),
    eq(approvals.requestHash, call.requestHash),
  )!;
}

/** Stored in `status` and not expired (a pending or approved row past expiresAt reads expired). */
function inTime(status: "pending" | "approved", now: number): SQL {
  return and(eq(approvals.status, status), gt(approvals.expiresAt, now))!;
}

/** The conditions a retry must meet to use an approval: its own call, approved, in time. */
export interface UseClaim {
  id: string;
  appId: string;
  agentId: string;
  entityId: string;
  connectionId: string;
  requestHash: string;
}

/**
 * approved → used in one conditional UPDATE: of two concurrent retries, in
 * this process or another, exactly one changes the row. True when this call
 * did.
 */
export async function claimUse(db: Db, claim: UseClaim, now: number): Promise<boolean> {
  const result = await db.update(approvals)
    .set({ status: "used", usedAt: now })
    .where(and(eq(approvals.id, claim.id), sameCall(claim), inTime("approved", now)));
  return result.rowsAffected === 1;
}

/** How long an ended approval stays listable (`approvals list`, the API); the audit trail keeps the rest. */
export const APPROVAL_KEEP_MS = 30 * 86_400_000;

/** Housekeeping: drops approvals whose time ended more than APPROVAL_KEEP_MS ago. */
export async function pruneApprovals(db: Db, now: number): Promise<number> {
  const result = await db.delete(approvals).where(lte(approvals.expiresAt, now - APPROVAL_KEEP_MS));
  return result.rowsAffected;
}

/**
 * Agent removal: the agent's undecided and approved, unused approvals end now
 * (expired), so an agent registered again under the same id cannot use a
 * call approved for the removed one. Returns how many ended.
 */
export async function endAgentApprovals(
  tx: Tx,
  appId: string,
  agentId: string,
  now: number,
): Promise<number> {
  const result = await tx.update(approvals).set({ expiresAt: now }).where(and(
    eq(approvals.appId, appId),
    eq(approvals.agentId, agentId),
    inArray(approvals.status, ["pending", "approved"]),
    gt(approvals.expiresAt, now),
  ));
  return result.rowsAffected;
}
