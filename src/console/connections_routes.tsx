import { type Context, Hono } from "hono";
import { listApps } from "../apps/app_store.ts";
import { adminActor } from "../audit/actor.ts";
import { revokeConnectionCommand } from "../commands/revoke_connection.ts";
import { setConnectionPausedCommand } from "../commands/set_connection_paused.ts";
import { connectionErrors } from "../connections/connection_errors.ts";
import { getConnection, listConnectionsPage } from "../connections/connection_store.ts";
import {
  type Connection,
  CONNECTION_STATUSES,
  type ConnectionStatus,
} from "../connections/connection_types.ts";
import { refreshNow } from "../connections/refresh_now.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { AppEntityProviderFields, FilterForm, ListPage, SelectField } from "./list_page.tsx";
import { nextPageHref, readCursor } from "./list_query.ts";

const PAGE_SIZE = 50;

export function StatusBadge(props: { status: string }) {
  const kind = props.status === "active"
    ? "ok"
    : props.status === "paused" || props.status === "pending"
    ? "warn"
    : "bad";
  return <span class={`badge ${kind}`}>{props.status.replace("_", " ")}</span>;
}

function account(c: Connection): string {
  return c.account?.email ?? c.account?.name ?? c.account?.id ?? "—";
}

/** `/console/connections`: search, detail (expiry, never a token), refresh/pause/resume/revoke. */
export function connectionsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;
  const ctx = (c: Context<ConsoleEnv>) => deps.commands(adminActor(c.get("admin").name));

  app.get("/console/connections", async (c) => {
    const q = {
      app: c.req.query("app") ?? "",
      entity: (c.req.query("entity") ?? "").slice(0, 256),
      provider: (c.req.query("provider") ?? "").slice(0, 64),
      status: c.req.query("status") ?? "",
    };
    const apps = await listApps(db);
    const names = new Map(apps.map((a) => [a.id, a.name]));
    const status = (CONNECTION_STATUSES as readonly string[]).includes(q.status)
      ? q.status as ConnectionStatus
      : undefined;
    const page = await listConnectionsPage(db, {
      appId: q.app || undefined,
      entityId: q.entity || undefined,
      provider: q.provider || undefined,
      status,
    }, { limit: PAGE_SIZE, after: readCursor(c.req.query("cursor")) });
    return consolePage(
      c,
      { title: "Connections", active: "connections" },
      <ListPage
        filter={
          <FilterForm action="/console/connections" submit="Search">
            <AppEntityProviderFields
              apps={apps}
              providers={[...deps.providers.enabled.keys()]}
              value={q}
            />
            <SelectField
              id="f-status"
              name="status"
              label="Status"
              value={q.status}
              first="Any but revoked"
              options={CONNECTION_STATUSES}
            />
          </FilterForm>
        }
        table={{
          rows: page.connections,
          empty: "No connections match.",
          columns: [
            {
              label: "Entity",
              cell: (x) => <a href={`/console/connections/${x.id}`}>{x.entityId}</a>,
            },
            { label: "Provider", cell: (x) => x.provider },
            { label: "Status", cell: (x) => <StatusBadge status={x.status} /> },
            { label: "App", hideNarrow: true, cell: (x) => names.get(x.appId) ?? x.appId },
            { label: "Account", hideNarrow: true, cell: account },
            { label: "Token expires", hideNarrow: true, cell: (x) => when(x.credentialExpiresAt) },
          ],
        }}
        next={nextPageHref("/console/connections", q, page.next)}
      />,
    );
  });

  const requireConnection = async (id: string) => {
    const connection = await getConnection(db, id);
    if (!connection) throw connectionErrors.notFound(id);
    return connection;
  };

  app.get("/console/connections/:id", async (c) => {
    const x = await requireConnection(c.req.param("id"));
    const apps = await listApps(db);
    const csrf = c.get("csrf");
    const base = `/console/connections/${x.id}`;
    return consolePage(
      c,
      { title: `${x.provider} · ${x.entityId}`, active: "connections" },
      (
        <section class="card">
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={x.status} />
            </dd>
            <dt>Id</dt>
            <dd>
              <code>{x.id}</code>
            </dd>
            <dt>App</dt>
            <dd>{apps.find((a) => a.id === x.appId)?.name ?? x.appId}</dd>
            <dt>Entity</dt>
            <dd>{x.entityId}</dd>
            <dt>Account</dt>
            <dd>{account(x)}</dd>
            <dt>Scopes</dt>
            <dd>{x.scopes.join(" ") || "—"}</dd>
            <dt>Token expires</dt>
            <dd>{when(x.credentialExpiresAt)}</dd>
            <dt>Refreshable</dt>
            <dd>{x.refreshable === null ? "unknown" : x.refreshable ? "yes" : "no"}</dd>
            <dt>Connected</dt>
            <dd>{when(x.createdAt)}</dd>
            <dt>Changed</dt>
            <dd>{when(x.updatedAt)}</dd>
          </dl>
          <p class="chart-note">The token itself is never shown, here or anywhere.</p>
          <div class="actions">
            {x.status === "active" || x.status === "needs_reauth"
              ? (
                <PostForm action={`${base}/refresh`} csrf={csrf}>
                  <button type="submit" class="secondary">Refresh token</button>
                </PostForm>
              )
              : null}
            {x.status === "active"
              ? (
                <PostForm action={`${base}/pause`} csrf={csrf}>
                  <button type="submit" class="secondary">Pause</button>
                </PostForm>
              )
              : null}
            {x.status === "paused"
              ? (
                <PostForm action={`${base}/resume`} csrf={csrf}>
                  <button type="submit" class="secondary">Resume</button>
                </PostForm>
              )
              : null}
            {x.status !== "revoked"
              ? (
                <PostForm action={`${base}/revoke`} csrf={csrf}>
                  <button type="submit" class="danger">Revoke</button>
                </PostForm>
              )
              : null}
          </div>
        </section>
      ),
    );
  });

  for (const paused of [true, false]) {
    app.post(`/console/connections/:id/${paused ? "pause" : "resume"}`, async (c) => {
      const x = await requireConnection(c.req.param("id"));
      await setConnectionPausedCommand(ctx(c), x, paused);
      return seeOther(`/console/connections/${x.id}?done=${paused ? "paused" : "resumed"}`);
    });
  }
  app.post("/console/connections/:id/revoke", async (c) => {
    const x = await requireConnection(c.req.param("id"));
    if (x.status === "revoked") {
      throw connectionErrors.state(x, "revoke", "there is nothing left to revoke");
    }
    await revokeConnectionCommand(ctx(c), deps.providers, x);
    return seeOther(`/console/connections/${x.id}?done=revoked`);
  });
  app.post("/console/connections/:id/refresh", async (c) => {
    const x = await requireConnection(c.req.param("id"));
    await refreshNow({
      database: deps.database,
      vault: deps.vault,
      now: deps.now,
      refresherFor: deps.refresherFor,
      providerEnabled: (name) => deps.providers.enabled.has(name),
    }, x.id);
    ctx(c).after.connectionChanged?.(x);
    return seeOther(`/console/connections/${x.id}?done=refreshed`);
  });
  return app;
}
