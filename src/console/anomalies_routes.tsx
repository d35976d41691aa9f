import { type Context, Hono } from "hono";
import { anomalyErrors } from "../anomalies/anomaly_errors.ts";
import { getAnomaly, listAnomaliesPage } from "../anomalies/anomaly_store.ts";
import { ANOMALY_STATUSES, type AnomalyStatus } from "../anomalies/anomaly_types.ts";
import { listApps } from "../apps/app_store.ts";
import { adminActor } from "../audit/actor.ts";
import { clearAnomalyCommand } from "../commands/clear_anomaly.ts";
import { formatDuration } from "../security/duration.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { FilterForm, ListPage, SelectField } from "./list_page.tsx";
import { nextPageHref, readCursor, statusFilter } from "./list_query.ts";

const PAGE_SIZE = 50;

function AnomalyBadge(props: { status: AnomalyStatus; blocked: boolean }) {
  const kind = props.status === "active" ? (props.blocked ? "bad" : "warn") : "ok";
  const text = props.status === "active" && props.blocked ? "blocking" : props.status;
  return <span class={`badge ${kind}`}>{text}</span>;
}

/** `/console/anomalies`: blocks the detectors raised, newest first; clear one. */
export function anomaliesRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;
  const ctx = (c: Context<ConsoleEnv>) => deps.commands(adminActor(c.get("admin").name));

  app.get("/console/anomalies", async (c) => {
    const status = statusFilter(c.req.query("status"), ANOMALY_STATUSES, "active");
    const page = await listAnomaliesPage(db, {
      statuses: status === "all" ? undefined : [status as AnomalyStatus],
    }, { limit: PAGE_SIZE, after: readCursor(c.req.query("cursor")) });
    const names = new Map((await listApps(db)).map((a) => [a.id, a.name]));
    return consolePage(
      c,
      { title: "Anomalies", active: "anomalies" },
      <ListPage
        filter={
          <FilterForm action="/console/anomalies" submit="Show">
            <SelectField
              id="f-status"
              name="status"
              label="Status"
              value={status}
              options={[...ANOMALY_STATUSES, "all"]}
            />
          </FilterForm>
        }
        table={{
          rows: page.anomalies,
          empty: "No anomalies match.",
          columns: [
            {
              label: "Detector",
              cell: (a) => <a href={`/console/anomalies/${a.id}`}>{a.detector}</a>,
            },
            {
              label: "Status",
              cell: (a) => <AnomalyBadge status={a.status} blocked={a.blocked} />,
            },
            { label: "Entity", cell: (a) => a.entityId ?? "—" },
            { label: "App", hideNarrow: true, cell: (a) => names.get(a.appId) ?? a.appId },
            { label: "Agent", hideNarrow: true, cell: (a) => a.agentId ?? "—" },
            { label: "Raised", hideNarrow: true, cell: (a) => when(a.createdAt) },
          ],
        }}
        next={nextPageHref("/console/anomalies", { status }, page.next)}
      />,
    );
  });

  app.get("/console/anomalies/:id", async (c) => {
    const a = await getAnomaly(db, c.req.param("id"));
    if (!a) throw anomalyErrors.notFound(c.req.param("id"));
    const names = new Map((await listApps(db)).map((x) => [x.id, x.name]));
    return consolePage(
      c,
      { title: `Anomaly: ${a.detector}`, active: "anomalies" },
      (
        <section class="card">
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{a.id}</code>
            </dd>
            <dt>Status</dt>
            <dd>
              <AnomalyBadge status={a.status} blocked={a.blocked} />
            </dd>
            <dt>Tripped by</dt>
            <dd>
              <code>{a.action}</code>
              {` — ${a.count} in ${formatDuration(a.windowMs)}`}
            </dd>
            <dt>App</dt>
            <dd>{names.get(a.appId) ?? a.appId}</dd>
            <dt>Entity / agent</dt>
            <dd>{`${a.entityId ?? "—"} / ${a.agentId ?? "—"}`}</dd>
            <dt>Connection</dt>
            <dd>
              {a.connectionId
                ? <a href={`/console/connections/${a.connectionId}`}>{a.connectionId}</a>
                : "—"}
            </dd>
            <dt>Raised</dt>
            <dd>{when(a.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>{when(a.expiresAt)}</dd>
            {a.clearedAt
              ? (
                <>
                  <dt>Cleared</dt>
                  <dd>{`${when(a.clearedAt)} by ${a.clearedBy ?? "—"}`}</dd>
                </>
              )
              : null}
          </dl>
          {a.status === "active"
            ? (
              <PostForm action={`/console/anomalies/${a.id}/clear`} csrf={c.get("csrf")}>
                <p class="chart-note">
                  Clearing lets the connection through at once and resets the counts that tripped
                  it.
                </p>
                <button type="submit" class="danger">Clear this anomaly</button>
              </PostForm>
            )
            : null}
        </section>
      ),
    );
  });

  app.post("/console/anomalies/:id/clear", async (c) => {
    const cleared = await clearAnomalyCommand(ctx(c), c.req.param("id"));
    return seeOther(`/console/anomalies/${cleared.id}?done=anomaly_cleared`);
  });
  return app;
}
