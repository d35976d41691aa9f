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
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { refreshNow } from "../connections/refresh_now.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";

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
      cursor: c.req.query("cursor") ?? "",
    };
    const apps = await listApps(db);
    const names = new Map(apps.map((a) => [a.id, a.name]));
    const status = (CONNECTION_STATUSES as readonly string[]).includes(q.status)
      ? q.status as ConnectionStatus
      : undefined;
    let after = null;
    try {
      after = q.cursor ? decodeCursor(q.cursor) : null;
    } catch {
      after = null;
    }
    const page = await listConnectionsPage(db, {
      appId: q.app || undefined,
      entityId: q.entity || undefined,
      provider: q.provider || undefined,
      status,
    }, { limit: PAGE_SIZE, after });
    const next = page.next
      ? `/console/connections?${new URLSearchParams({
        app: q.app,
        entity: q.entity,
        provider: q.provider,
        status: q.status,
        cursor: encodeCursor(page.next),
      })}`
      : null;
    const providers = [...deps.providers.enabled.keys()];
    return consolePage(
      c,
      { title: "Connections", active: "connections" },
      (
        <>
          <section class="card">
            <form method="get" action="/console/connections" role="search">
              <div class="form-row">
                <div class="field">
                  <label for="f-app">App</label>
                  <select id="f-app" name="app">
                    <option value="">All apps</option>
                    {apps.map((a) => (
                      <option value={a.id} selected={a.id === q.app}>{a.name}</option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for="f-entity">Entity</label>
                  <input id="f-entity" name="entity" value={q.entity} />
                </div>
                <div class="field">
                  <label for="f-provider">Provider</label>
                  <select id="f-provider" name="provider">
                    <option value="">All providers</option>
                    {providers.map((p) => (
                      <option value={p} selected={p === q.provider}>{p}</option>
                    ))}
                  </select>
                </div>
                <div class="field">
                  <label for="f-status">Status</label>
                  <select id="f-status" name="status">
                    <option value="">Any but revoked</option>
                    {CONNECTION_STATUSES.map((s) => (
                      <option value={s} selected={s === q.status}>{s}</option>
                    ))}
                  </select>
                </div>
                <button type="submit" class="secondary">Search</button>
              </div>
            </form>
          </section>
          <section class="card">
            <div class="table-wrap">
              {page.connections.length === 0 ? <p class="empty">No connections match.</p> : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Entity</th>
                      <th scope="col">Provider</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="hide-narrow">App</th>
                      <th scope="col" class="hide-narrow">Account</th>
                      <th scope="col" class="hide-narrow">Token expires</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.connections.map((x) => (
                      <tr>
                        <td>
                          <a href={`/console/connections/${x.id}`}>{x.entityId}</a>
                        </td>
                        <td>{x.provider}</td>
                        <td>
                          <StatusBadge status={x.status} />
                        </td>
                        <td class="hide-narrow">{names.get(x.appId) ?? x.appId}</td>
                        <td class="hide-narrow">{account(x)}</td>
                        <td class="hide-narrow">{when(x.credentialExpiresAt)}</td>
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
