import { Hono } from "hono";
import { z } from "zod";
import { apiActor } from "../audit/actor.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { clearAnomalyCommand } from "../commands/clear_anomaly.ts";
import type { Database } from "../db/client.ts";
import { listAnomaliesPage } from "../anomalies/anomaly_store.ts";
import { anomalyView } from "../anomalies/anomaly_view.ts";
import { ANOMALY_STATUSES } from "../anomalies/anomaly_types.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { parseQuery } from "./parse_query.ts";
import type { ApiEnv } from "./require_api_key.ts";

const listQuery = z.object({
  status: z.enum([...ANOMALY_STATUSES, "all"]).default("active"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(200).optional(),
});

/**
 * GET /v1/anomalies?status=active|cleared|expired|alert|all&limit&cursor (the
 * app's own, newest first; `nextCursor` until the last page) and
 * POST /v1/anomalies/{id}/clear. Another app's anomaly answers 404.
 */
export function anomalyRoutes(deps: { database: Database; commands: CommandsFor }): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", async (c) => {
    const q = parseQuery(c, listQuery);
    const page = await listAnomaliesPage(deps.database.db, {
      appId: c.get("app").id,
      statuses: q.status === "all" ? undefined : [q.status],
    }, { limit: q.limit, after: q.cursor ? decodeCursor(q.cursor) : null });
    return c.json({
      anomalies: page.anomalies.map(anomalyView),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  });
  app.post("/:id/clear", async (c) => {
    const cleared = await clearAnomalyCommand(
      deps.commands(apiActor(c.get("keyId"))),
      c.req.param("id"),
      {
        appId: c.get("app").id,
      },
    );
    return c.json(anomalyView(cleared));
  });
  return app;
}
