import type { Command } from "commander";
import { listApps, requireApp } from "../apps/app_store.ts";
import { listAnomaliesPage } from "../anomalies/anomaly_store.ts";
import type { Anomaly } from "../anomalies/anomaly_types.ts";
import { anomalyView } from "../anomalies/anomaly_view.ts";
import { clearAnomalyCommand } from "../commands/clear_anomaly.ts";
import { formatDuration } from "../security/duration.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { pageAfter, pagedListOptions, pageLimit, printList } from "./list_output.ts";

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
  const list = anomalies.command("list")
    .description("list blocks in force (with --all also cleared, expired and alert-only findings)")
    .option("--all", "every anomaly, newest first")
    .option("--app <app>", "only this app (name or id)");
  pagedListOptions(list).action(async (options: ListOptions) => {
    const limit = pageLimit(options.limit);
    await context.withAppliance(async ({ database }) => {
      const app = options.app ? await requireApp(database.db, options.app) : null;
      const names = new Map((await listApps(database.db)).map((a) => [a.id, a.name]));
      const page = await listAnomaliesPage(database.db, {
        appId: app?.id,
        statuses: options.all ? undefined : ["active"],
      }, { limit, after: pageAfter(options.cursor) });
      printList(context.io, options.json, {
        rows: page.anomalies.map((a) => anomalyRow(a, names.get(a.appId) ?? null)),
        json: page.anomalies.map((a) => ({ ...anomalyView(a), appId: a.appId })),
        columns: options.all
          ? ["id", "app", "detector", "status", "connection", "agent", "count", "window", "created"]
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
        empty: options.all ? "No anomalies" : "No active blocks",
        more: { what: "anomalies", next: page.next },
      });
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
