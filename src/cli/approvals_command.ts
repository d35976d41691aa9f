import type { Command } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { decideApprovalCommand } from "../commands/decide_approval.ts";
import { listApprovals } from "../approvals/approval_store.ts";
import {
  type Approval,
  APPROVAL_STATUSES,
  type ApprovalStatus,
} from "../approvals/approval_types.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";

function row(a: Approval) {
  return {
    id: a.id,
    status: a.status,
    appId: a.appId,
    agentId: a.agentId,
    entityId: a.entityId,
    operation: a.operation,
    rule: a.rule,
    summary: a.summary.text,
    createdAt: isoTime(a.createdAt),
    expiresAt: isoTime(a.expiresAt),
    decidedBy: a.decidedBy,
    decidedAt: isoTime(a.decidedAt),
    usedAt: isoTime(a.usedAt),
  };
}

function parseStatus(raw: string | undefined): ApprovalStatus | undefined {
  if (raw === undefined) return undefined;
  if (!(APPROVAL_STATUSES as readonly string[]).includes(raw)) {
    throw new SecurixError(
      "SX-INVALID-INPUT",
      `--status: one of ${APPROVAL_STATUSES.join(", ")}`,
      { status: 400 },
    );
  }
  return raw as ApprovalStatus;
}

/** `securix approvals list|approve|deny`: calls held by `approve` rules, decided by the operator. */
export function registerApprovals(program: Command, context: CliContext): void {
  const approvals = program.command("approvals").description(
    "calls held for a person's approval by approve rules",
  );
  approvals.command("list")
    .description("list approvals, newest first")
    .option("--status <status>", `only one status (${APPROVAL_STATUSES.join(", ")})`)
    .option("--app <app>", "only this app's")
    .option("--limit <n>", "at most N", "100")
    .option("--json", "print JSON")
    .action(async (options: { status?: string; app?: string; limit: string; json?: boolean }) => {
      const status = parseStatus(options.status);
      const limit = Math.max(1, Math.min(1000, Number.parseInt(options.limit, 10) || 100));
      await context.withAppliance(async ({ database, now }) => {
        const appId = options.app ? (await requireApp(database.db, options.app)).id : undefined;
        const rows = (await listApprovals(database.db, { appId, status, limit }, now())).map(row);
        printList(context.io, options.json, {
          rows,
          columns: ["id", "status", "agentId", "entityId", "summary", "expiresAt", "decidedBy"],
          empty: "No approvals",
        });
      });
    });
  for (const decision of ["approve", "deny"] as const) {
    approvals.command(`${decision} <id>`)
      .description(
        decision === "approve"
          ? "approve a pending call: the agent's retry then goes through once"
          : "deny a pending call",
      )
      .option("--json", "print JSON")
      .action(async (id: string, options: { json?: boolean }) => {
        await context.withAppliance(async (appliance) => {
          const decided = await decideApprovalCommand(context.commands(appliance), {
            id,
            decision,
            ttlMs: appliance.config.security.approval_ttl,
          });
          if (options.json) return printJson(context.io, row(decided));
          context.io.out(
            `${
              decision === "approve" ? "Approved" : "Denied"
            } ${decided.id}: ${decided.summary.text}`,
          );
        });
      });
  }
}
