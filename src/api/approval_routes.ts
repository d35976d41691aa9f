import { Hono } from "hono";
import { z } from "zod";
import { requireApp } from "../apps/app_store.ts";
import { apiActor } from "../audit/actor.ts";
import type { Database } from "../db/client.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { decideApprovalCommand } from "../commands/decide_approval.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { approvalErrors } from "../approvals/approval_errors.ts";
import { findApproval, listApprovals } from "../approvals/approval_store.ts";
import { type Approval, APPROVAL_STATUSES } from "../approvals/approval_types.ts";
import { parseJsonBody } from "./parse_body.ts";
import { parseQuery } from "./parse_query.ts";
import type { ApiEnv } from "./require_api_key.ts";

const listInput = z.object({
  status: z.enum(APPROVAL_STATUSES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(200).optional(),
});
const decideInput = z.strictObject({ decision: z.enum(["approve", "deny"]) });

/** An approval as the API shows it: the summary, never the link tokens or the request hash. */
export function approvalView(a: Approval) {
  const iso = (t: number | null) => t === null ? null : new Date(t).toISOString();
  return {
    id: a.id,
    status: a.status,
    agentId: a.agentId,
    entityId: a.entityId,
    connectionId: a.connectionId,
    provider: a.provider,
    operation: a.operation,
    rule: a.rule,
    method: a.method,
    path: a.path,
    summary: a.summary,
    createdAt: iso(a.createdAt),
    expiresAt: iso(a.expiresAt),
    decidedBy: a.decidedBy,
    decidedAt: iso(a.decidedAt),
    usedAt: iso(a.usedAt),
  };
}

export interface ApprovalRouteDeps {
  database: Database;
  now: () => number;
  /** `[security] approval_ttl`. */
  ttlMs: number;
  onDecided?: (approval: Approval) => void;
  /** Deciding goes through the command layer (audit, webhook, waking held requests). */
  commands: CommandsFor;
}

/**
 * /v1/approvals: the calling app's approvals, and deciding them from the
 * app's own UI. Another app's approval is not found (404), nor is another
 * agent's for a key bound to one agent. Deciding needs a
 * backend key (an agent key only reads its approval: key_role_guard.ts), the
 * app's `approvalsViaApi` switch (off by default: an agent may still have
 * been handed a backend key); a decision that names the held call's own
 * agent is refused, which only catches an agent that says who it is.
 */
export function approvalRoutes(deps: ApprovalRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", async (c) => {
    const query = parseQuery(c, listInput);
    // One more than asked: whether another page follows.
    const list = await listApprovals(deps.database.db, {
      appId: c.get("app").id,
      status: query.status as Approval["status"] | undefined,
      limit: query.limit + 1,
      after: query.cursor ? decodeCursor(query.cursor) : null,
    }, deps.now());
    const page = list.slice(0, query.limit);
    const last = page.at(-1);
    return c.json({
      approvals: page.map(approvalView),
      nextCursor: list.length > query.limit && last ? encodeCursor(last) : null,
    });
  });
  app.get("/:id", async (c) => {
    const found = await findApproval(
      deps.database.db,
      c.req.param("id"),
      deps.now(),
      c.get("app").id,
    );
    // A bound key reads its own agent's held calls; another agent's answers as an unknown id.
    const bound = c.get("keyAgentId");
    if (!found || (bound !== null && found.agentId !== bound)) throw approvalErrors.notFound();
    return c.json(approvalView(found));
  });
  app.post("/:id", async (c) => {
    // Read fresh, not from the key cache: switching it off takes effect at once in every process.
    const app = await requireApp(deps.database.db, c.get("app").id);
    if (!app.approvalsViaApi) throw approvalErrors.apiDisabled(app.name);
    const input = await parseJsonBody(c, decideInput);
    const agent = c.req.header("securix-agent-id");
    const decided = await decideApprovalCommand(deps.commands(apiActor(c.get("keyId"))), {
      id: c.req.param("id"),
      decision: input.decision,
      appId: app.id,
      ...(agent !== undefined ? { notByAgent: agent } : {}),
      ttlMs: deps.ttlMs,
    });
    return c.json(approvalView(decided));
  });
  return app;
}
