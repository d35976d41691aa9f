import type { Command } from "commander";
import { listApps, requireApp } from "../apps/app_store.ts";
import { listAnomaliesPage } from "../anomalies/anomaly_store.ts";
import type { Anomaly } from "../anomalies/anomaly_types.ts";
import { anomalyView } from "../anomalies/anomaly_view.ts";
import { clearAnomalyCommand } from "../commands/clear_anomaly.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { formatDuration } from "../security/duration.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson, printTable } from "./io.ts";

interface ListOptions {
  all?: boolean;
  app?: string;
  json?: boolean;
  limit: string;
  cursor?: string;
}

function anomalyRow(a: Anomaly, appName: string | null) {
  return {
    id: a.id,
    app: appName ?? a.appId,
    detector: a.detector,
    status: a.status,
    connection: a.connectionId,
    agent: a.agentId,
    entity: a.entityId,
    provider: a.provider,
    action: a.action,
    count: a.count,
    window: formatDuration(a.windowMs),
    created: isoTime(a.createdAt),
    expires: isoTime(a.expiresAt),
    cleared: isoTime(a.clearedAt),
    clearedBy: a.clearedBy,
  };
}

/**
 * `securix anomalies`: what the security engine detected, and clearing a
 * block. Safe while the appliance serves: serving processes let the
 * connection through within security.share_ms of a clear.
 */
export function registerAnomalies(program: Command, context: CliContext): void {
  const anomalies = program.command("anomalies").description(
    "list anomalies the security engine detected; clear a block",
  );
  anomalies.command("list")
    .description("list blocks in force (with --all also cleared, expired and alert-only findings)")
    .option("--all", "every anomaly, newest first")
    .option("--app <app>", "only this app (name or id)")
    .option("--json", "print JSON")
    .option("--limit <n>", "at most this many (1–10000)", "100")
    .option("--cursor <cursor>", "continue after the last page (printed when there is more)")
    .action(async (options: ListOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new SecurixError("SX-INVALID-INPUT", "--limit: expected a whole number 1–10000", {
          status: 400,
        });
      }
      await context.withAppliance(async ({ database }) => {
        const app = options.app ? await requireApp(database.db, options.app) : null;
        const names = new Map((await listApps(database.db)).map((a) => [a.id, a.name]));
        const page = await listAnomaliesPage(database.db, {
          appId: app?.id,
          statuses: options.all ? undefined : ["active"],
        }, { limit, after: options.cursor ? decodeCursor(options.cursor) : null });
        if (options.json) {
          printJson(
            context.io,
            page.anomalies.map((a) => ({ ...anomalyView(a), appId: a.appId })),
          );
        } else {
          printTable(
            context.io,
            page.anomalies.map((a) => anomalyRow(a, names.get(a.appId) ?? null)),
            options.all
              ? [
                "id",
                "app",
                "detector",
                "status",
                "connection",
                "agent",
                "count",
                "window",
                "created",
              ]
              : [
                "id",
                "app",
                "detector",
                "connection",
                "agent",
                "action",
                "count",
                "window",
                "created",
              ],
            options.all ? "No anomalies" : "No active blocks",
          );
        }
        if (page.next) context.io.err(`More anomalies: add --cursor ${encodeCursor(page.next)}`);
      });
    });
  anomalies.command("clear <anomalyId>")
    .description("end a block: the connection's blocked calls go through again")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const cleared = await clearAnomalyCommand(context.commands(appliance), id);
        if (options.json) return printJson(context.io, anomalyView(cleared));
        context.io.out(
          `Cleared ${id} (${cleared.detector} on ${cleared.connectionId}); serving processes let its calls through within a second or two`,
        );
      });
    });
}
