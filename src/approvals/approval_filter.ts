import type { Database } from "../db/client.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "../proxy/exchange.ts";
import {
  type BodyReader,
  CONTINUE,
  DONE,
  type ProxyFilter,
  type Verdict,
} from "../proxy/proxy_filter.ts";
import { callContext } from "../rules/call_context.ts";
import { evaluate } from "../rules/evaluate.ts";
import type { CompiledRule, RuleSet } from "../rules/rule_set.ts";
import { type ApprovalDoor, approvalErrors } from "./approval_errors.ts";
import { requestApproval } from "./approval_request.ts";
import type { ApprovalSignals } from "./approval_signals.ts";
import {
  approvalFromRow,
  claimUse,
  findApprovalRow,
  findApprovedFor,
  findDeniedFor,
  findPendingFor,
} from "./approval_store.ts";
import { summarizeCall } from "./approval_summary.ts";
import type { Approval } from "./approval_types.ts";
import { requestHash } from "./request_hash.ts";

/** The header an agent's retry names its approval in; ours, never forwarded (securix-*). */
export const APPROVAL_HEADER = "securix-approval-id";

export interface ApprovalFilterDeps {
  set: RuleSet;
  database: Database;
  now: () => number;
  /** `[proxy] max_inspect_bytes`: a larger body cannot be held (refused). */
  maxInspectBytes: number;
  /** `[security] approval_ttl`. */
  ttlMs: number;
  publicUrl: string;
  signals: ApprovalSignals;
  /** How often a held (`wait`) request looks for a decision made in another process; default 1 s. */
  pollMs?: number;
  random?: (bytes: Uint8Array) => Uint8Array;
}

function deny(error: SecurixError, rule: CompiledRule | null): Verdict {
  return { action: "deny", error, rule: rule?.name ?? null };
}

/**
 * Human approval as the last stage of the pipeline, before any credential:
 * a call under an `approve` rule is hashed (method, path, query, bounded
 * body) and either held as a new pending approval (403
 * SX-APPROVAL-REQUIRED, or held open under `wait`), or — with
 * `securix-approval-id` — let through once when its approval is approved
 * and names this very call. An MCP tool call cannot send that header: the
 * same call made again (same caller, same request hash) uses an approved
 * approval of it, once. Through either door, the same call made again
 * within approval_ttl of a denial is denied at once, without asking again.
 * Null when the set has no approve rule.
 */
export function approvalFilter(deps: ApprovalFilterDeps): ProxyFilter | null {
  const { set } = deps;
  if (!set.rules.some((r) => r.enabled && r.approval !== null)) return null;
  const pollMs = deps.pollMs ?? 1_000;

  /** The retry's approval, checked against this call, used at most once. */
  const useApproval = async (
    ex: Exchange,
    rule: CompiledRule,
    id: string,
    hash: string,
  ): Promise<Verdict> => {
    const row = await findApprovalRow(deps.database.db, id.trim());
    if (!row || row.appId !== ex.caller.app.id) return deny(approvalErrors.notFound(), rule);
    const now = deps.now();
    const approval = approvalFromRow(row, now);
    ex.notes.approval = approval.id;
    const caller = ex.caller;
    if (
      row.agentId !== caller.agentId || row.entityId !== caller.entityId ||
      row.connectionId !== caller.connection.id
    ) {
      return deny(approvalErrors.mismatch(approval, "caller"), rule);
    }
    if (row.method !== ex.method.toUpperCase() || row.path !== ex.path) {
      return deny(approvalErrors.mismatch(approval, "method or path"), rule);
    }
    if (row.requestHash !== hash) return deny(approvalErrors.mismatch(approval, "body"), rule);
    if (approval.status !== "approved") return deny(refusalFor(approval), rule);
    const claimed = await claimUse(deps.database.db, {
      id: row.id,
      appId: caller.app.id,
      agentId: caller.agentId,
      entityId: caller.entityId,
      connectionId: caller.connection.id,
      requestHash: hash,
    }, now);
    if (claimed) return CONTINUE;
    // Another retry won the row (or it lapsed in between): say what it is now.
    const after = await findApprovalRow(deps.database.db, row.id);
    return deny(refusalFor(approvalFromRow(after ?? row, deps.now())), rule);
  };

  /** `wait`: hold the request open until a decision, the bound, or the caller leaving. */
  const waitFor = async (
    ex: Exchange,
    rule: CompiledRule,
    approval: Approval,
    waitMs: number,
  ): Promise<Verdict> => {
    const rounds = Math.ceil(waitMs / pollMs);
    for (let round = 0; round < rounds; round++) {
      await deps.signals.sleep(approval.id, Math.min(pollMs, waitMs - round * pollMs), ex.signal);
      if (ex.signal.aborted) return deny(approvalErrors.cancelled(approval), rule);
      const row = await findApprovalRow(deps.database.db, approval.id);
      if (!row) return deny(approvalErrors.notFound(), rule);
      const now = deps.now();
      const current = approvalFromRow(row, now);
      if (current.status === "pending") continue;
      if (current.status !== "approved") return deny(refusalFor(current), rule);
      const claimed = await claimUse(deps.database.db, {
        id: row.id,
        appId: row.appId,
        agentId: row.agentId,
        entityId: row.entityId,
        connectionId: row.connectionId,
        requestHash: row.requestHash,
      }, now);
      if (claimed) return CONTINUE;
      const after = await findApprovalRow(deps.database.db, row.id);
      return deny(refusalFor(approvalFromRow(after ?? row, deps.now())), rule);
    }
    // Still undecided: the approval stays open, and a retry naming it can still pass.
    return deny(approvalErrors.pending(approval, doorOf(ex)), rule);
  };

  return {
    name: "approvals",
    async request(ex: Exchange, readBody: BodyReader) {
      const rule = evaluate(set, callContext(ex)).approve;
      if (rule === null) return DONE;
      if (!ex.rules.includes(rule.name)) ex.rules.push(rule.name);
      const body = await readBody(deps.maxInspectBytes);
      if (body === "too_large") {
        return deny(approvalErrors.tooLarge(deps.maxInspectBytes, rule.name), rule);
      }
      const hash = requestHash(
        ex.method,
        ex.path,
        ex.query,
        body,
        ex.requestHeaders.get("content-type"),
      );
      const presented = ex.requestHeaders.get(APPROVAL_HEADER);
      if (presented !== null) return await useApproval(ex, rule, presented, hash);
      const caller = ex.caller;
      const call = {
        appId: caller.app.id,
        agentId: caller.agentId,
        entityId: caller.entityId,
        connectionId: caller.connection.id,
        requestHash: hash,
      };
      // Denied less than approval_ttl ago: the person said no to this very call. The
      // same answer as a held call denied while waiting, and no new request to them, so
      // an agent retrying in a loop cannot spam its person. Before the approved lookup:
      // of two copies of one call, one approved and one denied, the "no" wins.
      const denied = await findDeniedFor(deps.database.db, call, deps.now(), deps.ttlMs);
      if (denied !== null) {
        ex.notes.approval = denied.id;
        return deny(approvalErrors.denied(denied), rule);
      }
      if (doorOf(ex) === "tool") {
        // The model retries the tool with the same arguments: that call's approval, used once.
        const approved = await findApprovedFor(deps.database.db, call, deps.now());
        if (approved !== null) {
          ex.notes.approval = approved.id;
          if (await claimUse(deps.database.db, { id: approved.id, ...call }, deps.now())) {
            return CONTINUE;
          }
          // Another call of the same arguments took it a moment ago: this one asks again.
        }
      }
      const approval = await findPendingFor(deps.database.db, call, deps.now()) ??
        await requestApproval(deps, {
          ...call,
          provider: ex.route.provider,
          operation: ex.operation.id,
          rule: rule.name,
          method: ex.method.toUpperCase(),
          path: ex.path,
          summary: summarizeCall(
            ex.operation,
            ex.method,
            ex.path,
            ex.requestHeaders.get("content-type"),
            body,
          ),
        });
      ex.notes.approval = approval.id;
      const waitMs = rule.approval?.waitMs ?? null;
      if (waitMs === null) {
        return deny(approvalErrors.required(approval, rule.llmError, doorOf(ex)), rule);
      }
      return await waitFor(ex, rule, approval, waitMs);
    },
  };
}

/** How the caller can come back to an approval: naming it in a header, or (MCP) calling the tool again. */
function doorOf(ex: Exchange): ApprovalDoor {
  return ex.via === "mcp" ? "tool" : "header";
}

function refusalFor(approval: Approval): SecurixError {
  switch (approval.status) {
    case "pending":
      return approvalErrors.pending(approval);
    case "denied":
      return approvalErrors.denied(approval);
    case "expired":
      return approvalErrors.expired(approval);
    default:
      return approvalErrors.used(approval);
  }
}
