import { Hono } from "hono";
import { listApps } from "../apps/app_store.ts";
import { listSessionsPage, SESSION_STATUSES } from "../flows/session_listing.ts";
import { reasonText } from "../flows/session_reason.ts";
import type { AuthSession, SessionStatus } from "../flows/session_types.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { when } from "./console_layout.tsx";
import { consolePage } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { AppEntityProviderFields, FilterForm, ListPage, SelectField } from "./list_page.tsx";
import { nextPageHref, readCursor } from "./list_query.ts";

const PAGE_SIZE = 50;

function SessionBadge(props: { status: SessionStatus }) {
  const kind = props.status === "completed"
    ? "ok"
    : props.status === "failed" || props.status === "expired"
    ? "bad"
    : "warn";
  return <span class={`badge ${kind}`}>{props.status.replace("_", " ")}</span>;
}

/**
 * `/console/sessions`: users' consent sessions, newest first, so "my user's
 * consent failed" has an answer in words. Reads only; the operator view
 * never holds the sxc, verifier, state or a token.
 */
export function sessionsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;

  app.get("/console/sessions", async (c) => {
    const q = {
      app: c.req.query("app") ?? "",
      entity: (c.req.query("entity") ?? "").slice(0, 256),
      provider: (c.req.query("provider") ?? "").slice(0, 64),
      status: c.req.query("status") ?? "",
    };
    const apps = await listApps(db);
    const names = new Map(apps.map((a) => [a.id, a.name]));
    const status = (SESSION_STATUSES as readonly string[]).includes(q.status)
      ? q.status as SessionStatus
      : undefined;
    const page = await listSessionsPage(db, {
      appId: q.app || undefined,
      entityId: q.entity || undefined,
      provider: q.provider || undefined,
      status,
    }, { limit: PAGE_SIZE, after: readCursor(c.req.query("cursor")), now: deps.now() });
    return consolePage(
      c,
      { title: "Consent sessions", active: "sessions" },
      <ListPage
        filter={
          <FilterForm action="/console/sessions" submit="Search">
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
              first="Any status"
              options={SESSION_STATUSES.map((s) => ({ value: s, text: s.replace("_", " ") }))}
            />
          </FilterForm>
        }
        table={{
          rows: page.sessions,
          empty: "No consent sessions match.",
          rowAttributes: (x: AuthSession) => ({ "data-session": x.id }),
          columns: [
            { label: "Created", cell: (x) => when(x.createdAt) },
            { label: "Entity", cell: (x) => x.entityId },
            { label: "Status", cell: (x) => <SessionBadge status={x.status} /> },
            { label: "Why it failed", cell: (x) => reasonText(x.reason) ?? "—" },
            { label: "App", hideNarrow: true, cell: (x) => names.get(x.appId) ?? x.appId },
            {
              label: "Providers",
              hideNarrow: true,
              cell: (x) => Object.keys(x.providers).join(", "),
            },
            { label: "Flow", hideNarrow: true, cell: (x) => x.flow },
            { label: "Expires", hideNarrow: true, cell: (x) => when(x.expiresAt) },
          ],
        }}
        next={nextPageHref("/console/sessions", q, page.next)}
      />,
    );
  });
  return app;
}
