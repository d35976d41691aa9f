import { type Context, Hono } from "hono";
import { anomalyErrors } from "../anomalies/anomaly_errors.ts";
import { getAnomaly, listAnomaliesPage } from "../anomalies/anomaly_store.ts";
import { ANOMALY_STATUSES, type AnomalyStatus } from "../anomalies/anomaly_types.ts";
import { listApps } from "../apps/app_store.ts";
import { adminActor } from "../audit/actor.ts";
import { clearAnomalyCommand } from "../commands/clear_anomaly.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { formatDuration } from "../security/duration.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";

const PAGE_SIZE = 50;

function AnomalyBadge(props: { status: AnomalyStatus; blocked: boolean }) {
  const kind = props.status === "active" ? (props.blocked ? "bad" : "warn") : "ok";
  const text = props.status === "active" && props.blocked ? "blocking" : props.status;
  return <span class={`badge ${kind}`}>{text}</span>;
}

function cursorOf(value: string) {
  try {
    return value ? decodeCursor(value) : null;
  } catch {
    return null;
  }
}

/** `/console/anomalies`: blocks the detectors raised, newest first; clear one. */
export function anomaliesRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;
  const ctx = (c: Context<ConsoleEnv>) => deps.commands(adminActor(c.get("admin").name));

  app.get("/console/anomalies", async (c) => {
    const wanted = c.req.query("status") ?? "active";
    const status = wanted === "all" || (ANOMALY_STATUSES as readonly string[]).includes(wanted)
      ? wanted
      : "active";
    const page = await listAnomaliesPage(db, {
      statuses: status === "all" ? undefined : [status as AnomalyStatus],
    }, { limit: PAGE_SIZE, after: cursorOf(c.req.query("cursor") ?? "") });
    const names = new Map((await listApps(db)).map((a) => [a.id, a.name]));
    const next = page.next
      ? `/console/anomalies?${new URLSearchParams({ status, cursor: encodeCursor(page.next) })}`
      : null;
    return consolePage(
      c,
      { title: "Anomalies", active: "anomalies" },
      (
        <>
          <section class="card">
            <form method="get" action="/console/anomalies" role="search">
              <div class="form-row">
                <div class="field">
                  <label for="f-status">Status</label>
                  <select id="f-status" name="status">
                    {[...ANOMALY_STATUSES, "all"].map((s) => (
                      <option value={s} selected={s === status}>{s}</option>
                    ))}
                  </select>
                </div>
                <button type="submit" class="secondary">Show</button>
              </div>
            </form>
          </section>
          <section class="card">
            <div class="table-wrap">
              {page.anomalies.length === 0 ? <p class="empty">No anomalies match.</p> : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Detector</th>
                      <th scope="col">Status</th>
                      <th scope="col">Entity</th>
                      <th scope="col" class="hide-narrow">App</th>
                      <th scope="col" class="hide-narrow">Agent</th>
                      <th scope="col" class="hide-narrow">Raised</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.anomalies.map((a) => (
                      <tr>
                        <td>
                          <a href={`/console/anomalies/${a.id}`}>{a.detector}</a>
                        </td>
                        <td>
                          <AnomalyBadge status={a.status} blocked={a.blocked} />
                        </td>
                        <td>{a.entityId ?? "—"}</td>
                        <td class="hide-narrow">{names.get(a.appId) ?? a.appId}</td>
                        <td class="hide-narrow">{a.agentId ?? "—"}</td>
                        <td class="hide-narrow">{when(a.createdAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            {next
              ? (
                <nav class="pager" aria-label="Pages">
                  <a class="button secondary" href={next}>Next page</a>
                </nav>
              )
              : null}
          </section>
        </>
      ),
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
