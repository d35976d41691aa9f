import { type Context, Hono, type MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { serialize } from "hono/utils/cookie";
import { type App, findApp } from "../apps/app_store.ts";
import type { Actor } from "../audit/actor.ts";
import { appendAudit } from "../audit/append.ts";
import { decideApproval, type DecideDeps } from "../approvals/approval_decide.ts";
import { findApprovalRow, listApprovals } from "../approvals/approval_store.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { revokeConnectionCommand } from "../commands/revoke_connection.ts";
import { setConnectionPausedCommand } from "../commands/set_connection_paused.ts";
import type { Connection } from "../connections/connection_types.ts";
import { getConnection, listConnections } from "../connections/connection_store.ts";
import type { Database } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { attachBindingCookie, ensureBinding, readBinding } from "../flows/binding_cookie.ts";
import { csrfToken, verifyCsrf } from "../flows/csrf.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { foreignPost } from "../http/same_origin.ts";
import type { ProxyDeps } from "../proxy/proxy_handler.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { enqueueEvent } from "../webhooks/outbox.ts";
import { ErrorPage } from "../../web/error_page.tsx";
import { PortalConnectionPage } from "../../web/portal_connection_page.tsx";
import { PortalHidePage } from "../../web/portal_hide_page.tsx";
import { PortalStartPage } from "../../web/portal_start_page.tsx";
import { type PortalConnectionView, PortalHomePage } from "../../web/portal_home_page.tsx";
import { ResultPage } from "../../web/result_page.tsx";
import { renderPage } from "../../web/web_routes.ts";
import { readActivity } from "./portal_activity.ts";
import { type ChoiceKind, listChoices, setChoice } from "./portal_choice_store.ts";
import type { PortalChoices } from "./portal_choices.ts";
import { HIDEABLE, type HideableItem, listHideable } from "./portal_items.ts";
import { peekPortalLink, redeemPortalLink } from "./portal_link_store.ts";
import {
  endPortalSession,
  findPortalSession,
  PORTAL_SESSION_TTL_MS,
  type PortalSession,
  resumePortalSession,
  startPortalSession,
} from "./portal_session_store.ts";
import { scopePhrases } from "./scope_phrases.ts";

/** A caller-chosen skip feeds LIMIT: bounded (one entity has at most ~30 days × 24 h × agents × operations rows). */
const MAX_SKIP = 10_000;

export const PORTAL_COOKIE = "sx_portal";
const ACTIVITY_PAGE = 25;
/** The CSRF purpose of the start page's button, bound to the browser-binding cookie. */
const START_PURPOSE = "portal-start";

export interface PortalDeps {
  database: Database;
  now: () => number;
  /** The CSRF key of the end-user pages. */
  csrfKey: Uint8Array;
  commands: CommandsFor;
  providers: ProviderRegistry;
  rules: () => RuleSet;
  choices: PortalChoices;
  /** The proxy pipeline, for the lists of labels and folders (built after the app). */
  proxy: () => ProxyDeps | null;
  approvals: DecideDeps;
  /**
   * `[server] public_url` is https: users reach the portal over TLS even when
   * a reverse proxy hands it on as plain http without X-Forwarded-Proto.
   */
  secure: boolean;
  /** `[server] public_url`'s origin: a form posted from it is ours whatever Host a proxy sends. */
  publicOrigin: string;
  random?: (bytes: Uint8Array) => Uint8Array;
}

type PortalEnv = {
  Variables: { session: PortalSession; app: App; csrf: string; by: Actor };
};

function isHttps(c: Context, secure: boolean): boolean {
  return secure || new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

/** HttpOnly, SameSite=Strict, only for /portal: no other page or site gets it. */
function portalCookie(c: Context, secure: boolean, value: string, maxAgeS: number): string {
  return serialize(PORTAL_COOKIE, value, {
    httpOnly: true,
    secure: isHttps(c, secure),
    sameSite: "Strict",
    path: "/portal",
    maxAge: maxAgeS,
  });
}

function page(title: string, message: string, code: string, status: number): Response {
  return renderPage(<ErrorPage title={title} message={message} code={code} />, { status });
}

const notFound = () =>
  page("Not found", "There is no such account or request here.", "SX-NOT-FOUND", 404);

const LINK_TEXT = {
  unknown: "This link is not valid. Ask the app for a new one.",
  used: "This link was already used. Links work once: ask the app for a new one.",
  expired: "This link has expired (links work for 10 minutes). Ask the app for a new one.",
};

/**
 * The Trust Portal on the public listener: `/portal/start?t=` shows a
 * button whose POST turns the one-time link into a session bound to one
 * entity of one app; every other
 * page needs that session and shows only that entity's accounts. Every form
 * carries a CSRF token bound to the session; every change goes through the
 * command layer (or decideApproval) with actor `portal:<entity>`.
 */
export function portalRoutes(deps: PortalDeps): Hono {
  const app = new Hono<PortalEnv>();

  // Sets the browser-binding cookie the start page's CSRF token is bound to.
  app.use("/portal/start", attachBindingCookie);
  const linkRefused = (reason: "unknown" | "used" | "expired") =>
    page(
      reason === "unknown" ? "Link not valid" : "Link no longer valid",
      LINK_TEXT[reason],
      "SX-PORTAL-LINK-INVALID",
      reason === "unknown" ? 404 : 410,
    );
  const formRefused = () =>
    page(
      "Form expired",
      "This form is no longer valid. Open the link from the app again and press the button.",
      "SX-CSRF",
      403,
    );

  // The GET only shows a button: link scanners and chat previews open links, and must not
  // use them up. It names the account, and says so when it would replace another's session.
  app.get("/portal/start", async (c) => {
    const token = c.req.query("t") ?? "";
    const link = await peekPortalLink(deps.database.db, token, deps.now());
    if (!link.ok) return linkRefused(link.reason);
    const opens = await findApp(deps.database.db, link.appId);
    if (!opens) return linkRefused("unknown");
    const current = await findPortalSession(
      deps.database.db,
      getCookie(c, PORTAL_COOKIE) ?? "",
      deps.now(),
    );
    const other = current && (current.appId !== link.appId || current.entityId !== link.entityId)
      ? await findApp(deps.database.db, current.appId)
      : null;
    const { binding } = ensureBinding(c, deps.secure);
    return renderPage(
      <PortalStartPage
        opens={{ appName: opens.name, entityId: link.entityId }}
        current={current && other ? { appName: other.name, entityId: current.entityId } : null}
        linkToken={token}
        csrfToken={csrfToken(deps.csrfKey, binding, START_PURPOSE)}
      />,
    );
  });

  // The POST uses the link: from this site's own page only (another site's form has
  // neither our Origin nor the browser-binding cookie its CSRF token is bound to).
  app.post("/portal/start", async (c) => {
    const own = { nullOrigin: "ours", publicOrigin: deps.publicOrigin } as const;
    if (foreignPost((name) => c.req.header(name), c.req.url, own)) {
      return formRefused();
    }
    const form = await c.req.parseBody();
    const field = (name: string) => typeof form[name] === "string" ? form[name] as string : "";
    const bound = readBinding(c, deps.secure);
    if (!bound || !verifyCsrf(deps.csrfKey, bound.binding, START_PURPOSE, field("csrf"))) {
      return formRefused();
    }
    const redeemed = await redeemPortalLink(deps.database.db, field("t"), deps.now());
    if (!redeemed.ok) return linkRefused(redeemed.reason);
    // The session this browser had ends here rather than living on behind a replaced cookie.
    const previous = getCookie(c, PORTAL_COOKIE);
    if (previous) await endPortalSession(deps.database.db, previous);
    const { session, token } = await startPortalSession(
      deps.database.db,
      redeemed,
      deps.now(),
      deps.random,
    );
    await deps.database.transaction((tx) =>
      appendAudit(tx, [{
        kind: "portal.opened",
        at: deps.now(),
        appId: session.appId,
        entityId: session.entityId,
        data: { sessionId: session.id, actor: `portal:${session.entityId}` },
      }])
    );
    // Posted from this site's own page: the redirect is same-site and carries the new
    // SameSite=Strict cookie, and a reload of /portal does not post the used link again.
    const response = c.redirect("/portal", 303);
    response.headers.append(
      "set-cookie",
      portalCookie(c, deps.secure, token, Math.floor(PORTAL_SESSION_TTL_MS / 1000)),
    );
    return response;
  });

  const requireSession: MiddlewareHandler<PortalEnv> = async (c, next) => {
    const token = getCookie(c, PORTAL_COOKIE) ?? "";
    const session = await resumePortalSession(deps.database.db, token, deps.now());
    const owner = session && await findApp(deps.database.db, session.appId);
    if (!session || !owner) {
      return page(
        "Session ended",
        "Your session has ended. Open the account settings from the app again.",
        "SX-PORTAL-SESSION",
        401,
      );
    }
    c.set("session", session);
    c.set("app", owner);
    c.set("csrf", csrfToken(deps.csrfKey, session.id, "portal"));
    c.set("by", { actor: `portal:${session.entityId}` });
    if (c.req.method === "POST") {
      const form = await c.req.parseBody({ all: true });
      const presented = typeof form.csrf === "string" ? form.csrf : "";
      if (!verifyCsrf(deps.csrfKey, session.id, "portal", presented)) {
        return page(
          "Form expired",
          "This form is no longer valid. Go back, reload the page and try again.",
          "SX-CSRF",
          403,
        );
      }
    }
    await next();
  };
  // Also matches /portal itself.
  app.use("/portal/*", async (c, next) => {
    if (c.req.path === "/portal/start") return await next();
    return await requireSession(c, next);
  });

  /** The entity's connection with this id, or null (another entity's is not found). */
  const ownConnection = async (c: Context<PortalEnv>): Promise<Connection | null> => {
    const connection = await getConnection(deps.database.db, c.req.param("id") ?? "");
    const session = c.get("session");
    if (
      !connection || connection.appId !== session.appId ||
      connection.entityId !== session.entityId || connection.status === "revoked"
    ) return null;
    return connection;
  };

  const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ") + " UTC";

  const view = (c: Connection, lastUsed: Map<string, number>): PortalConnectionView => {
    const provider = deps.providers.enabled.get(c.provider);
    const used = lastUsed.get(c.provider);
    const providerName = provider?.displayName ?? c.provider;
    return {
      id: c.id,
      providerName,
      // A provider that names no account (no user-info endpoint): say so, not a bare "Account".
      account: c.account?.email ?? c.account?.name ?? c.account?.id ??
        `${providerName} did not say which account`,
      status: c.status,
      scopes: scopePhrases(c.scopes),
      connectedSince: when(c.createdAt),
      lastUsed: used === undefined ? null : when(used),
    };
  };

  app.get("/portal", async (c) => {
    const session = c.get("session");
    const now = deps.now();
    const where = { appId: session.appId, entityId: session.entityId };
    const connections = await listConnections(deps.database.db, where);
    const { lastUsed } = await readActivity(deps.database.db, where, {
      before: null,
      limit: 0,
    }, now);
    const off = new Set(
      (await listChoices(deps.database.db, where)).filter((x) => x.kind === "scope_off")
        .map((x) => x.value),
    );
    // This user's in the query: another user's newer held calls must not push them off the page.
    const pending = await listApprovals(
      deps.database.db,
      { appId: session.appId, entityId: session.entityId, status: "pending", limit: 50 },
      now,
    );
    return renderPage(
      <PortalHomePage
        appName={c.get("app").name}
        entityId={session.entityId}
        connections={connections.map((x) => view(x, lastUsed))}
        scopes={deps.rules().scopes.map((s) => ({
          name: s.name,
          description: s.description,
          off: off.has(s.name),
          offByOperator: !s.enabled,
        }))}
        approvals={pending.map((a) => ({
          id: a.id,
          agentId: a.agentId,
          summary: a.summary.text,
          provider: deps.providers.enabled.get(a.provider)?.displayName ?? a.provider,
          expiresIn: `Expires ${when(a.expiresAt)}`,
        }))}
        csrfToken={c.get("csrf")}
        returnUrl={session.returnUrl}
        flash={flashText(c.req.query("done"))}
      />,
    );
  });

  app.get("/portal/connections/:id", async (c) => {
    const connection = await ownConnection(c);
    if (!connection) return notFound();
    const session = c.get("session");
    const beforeRaw = Number(c.req.query("before"));
    const skipRaw = Number(c.req.query("skip") ?? 0);
    const before = Number.isSafeInteger(beforeRaw) && beforeRaw > 0
      ? {
        at: beforeRaw,
        skip: Number.isSafeInteger(skipRaw) && skipRaw > 0 ? Math.min(skipRaw, MAX_SKIP) : 0,
      }
      : null;
    const activity = await readActivity(
      deps.database.db,
      { appId: session.appId, entityId: session.entityId, provider: connection.provider },
      { before, limit: ACTIVITY_PAGE },
      deps.now(),
    );
    const hideable = HIDEABLE[connection.provider];
    const hidden = hideable
      ? (await listChoices(deps.database.db, session)).filter((x) => x.kind === hideable.kind)
        .map((x) => x.label ?? x.value)
      : [];
    const next = activity.next;
    return renderPage(
      <PortalConnectionPage
        connection={view(connection, activity.lastUsed)}
        activity={activity.items.map((a) => ({
          at: when(a.at),
          calls: a.calls,
          agentId: a.agentId,
          operation: a.operation,
          decision: a.decision,
        }))}
        olderHref={next
          ? `/portal/connections/${connection.id}?before=${next.at}` +
            (next.skip > 0 ? `&skip=${next.skip}` : "")
          : null}
        hideNoun={hideable?.noun ?? null}
        hidden={hidden}
        csrfToken={c.get("csrf")}
        flash={flashText(c.req.query("done"))}
      />,
    );
  });

  for (const action of ["pause", "resume"] as const) {
    app.post(`/portal/connections/:id/${action}`, async (c) => {
      const connection = await ownConnection(c);
      if (!connection) return notFound();
      const paused = action === "pause";
      if ((connection.status === "paused") !== paused) {
        await setConnectionPausedCommand(deps.commands(c.get("by")), connection, paused);
      }
      return c.redirect(`/portal/connections/${connection.id}?done=${action}d`, 303);
    });
  }

  app.post("/portal/connections/:id/revoke", async (c) => {
    const connection = await ownConnection(c);
    if (!connection) return notFound();
    await revokeConnectionCommand(deps.commands(c.get("by")), deps.providers, connection);
    return c.redirect("/portal?done=revoked", 303);
  });

  /** The labels/folders to choose from: the account's own list, plus those hidden already. */
  const hideChoices = async (c: Context<PortalEnv>, connection: Connection) => {
    const session = c.get("session");
    const hideable = HIDEABLE[connection.provider]!;
    const proxy = deps.proxy();
    const listed = proxy
      ? await listHideable(proxy, c.get("app"), session.entityId, connection.provider)
      : { ok: false as const, message: "The list cannot be read right now." };
    const current = (await listChoices(deps.database.db, session)).filter((x) =>
      x.kind === hideable.kind
    );
    const items = new Map<string, HideableItem & { hidden: boolean }>();
    // Hidden labels are filtered out of the account's own list: they are added back here.
    for (const x of current) {
      items.set(x.value, { value: x.value, name: x.label ?? x.value, hidden: true });
    }
    if (listed.ok) {
      for (const item of listed.items) {
        items.set(item.value, { ...item, hidden: items.has(item.value) });
      }
    }
    return {
      kind: hideable.kind,
      noun: hideable.noun,
      items: [...items.values()].sort((a, b) => a.name.localeCompare(b.name)),
      problem: listed.ok ? null : `The ${hideable.noun} could not be read: ${listed.message}`,
    };
  };

  app.get("/portal/connections/:id/hide", async (c) => {
    const connection = await ownConnection(c);
    if (!connection || !HIDEABLE[connection.provider]) return notFound();
    const choices = await hideChoices(c, connection);
    return renderPage(
      <PortalHidePage
        connectionId={connection.id}
        providerName={view(connection, new Map()).providerName}
        noun={choices.noun}
        items={choices.items}
        problem={choices.problem}
        csrfToken={c.get("csrf")}
      />,
    );
  });

  app.post("/portal/connections/:id/hide", async (c) => {
    const connection = await ownConnection(c);
    if (!connection || !HIDEABLE[connection.provider]) return notFound();
    const form = await c.req.parseBody({ all: true });
    const wanted = new Set(strings(form.hide));
    const shown = new Set(strings(form.shown));
    // Only what the account listed (or what is hidden already) can be chosen.
    const choices = await hideChoices(c, connection);
    const changes: { value: string; name: string; hidden: boolean }[] = [];
    for (const item of choices.items) {
      if (!shown.has(item.value)) continue;
      const hide = wanted.has(item.value);
      if (hide !== item.hidden) changes.push({ value: item.value, name: item.name, hidden: hide });
    }
    await applyChoices(c, choices.kind, changes, connection.provider);
    return c.redirect(`/portal/connections/${connection.id}?done=hidden`, 303);
  });

  app.post("/portal/scopes", async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.scope === "string" ? form.scope : "";
    const scope = deps.rules().scopes.find((s) => s.name === name);
    if (!scope) return notFound();
    const off = form.state === "off";
    await applyChoices(
      c,
      "scope_off",
      [{ value: scope.name, name: scope.name, hidden: off }],
      null,
    );
    return c.redirect(`/portal?done=${off ? "scope_off" : "scope_on"}`, 303);
  });

  /** Stores the changes with their audit record and webhook, then puts them in force here. */
  const applyChoices = async (
    c: Context<PortalEnv>,
    kind: ChoiceKind,
    changes: { value: string; name: string; hidden: boolean }[],
    provider: string | null,
  ) => {
    if (changes.length === 0) return;
    const session = c.get("session");
    const now = deps.now();
    const by = c.get("by");
    await deps.database.transaction(async (tx) => {
      for (const change of changes) {
        await setChoice(
          tx,
          {
            appId: session.appId,
            entityId: session.entityId,
            kind,
            value: change.value,
            label: change.name === change.value ? null : change.name,
          },
          change.hidden,
          now,
        );
      }
      const data = {
        kind,
        changes: changes.map((x) => ({ value: x.value, on: x.hidden })),
      };
      await appendAudit(tx, [{
        kind: "portal.settings.changed",
        at: now,
        appId: session.appId,
        entityId: session.entityId,
        provider,
        data: { ...data, ...by },
      }]);
      await enqueueEvent(tx, {
        appId: session.appId,
        type: "portal.settings.changed",
        orderingKey: `${session.appId}:${session.entityId}`,
        data: { ...data, entityId: session.entityId, provider, by: by.actor },
      }, now);
    });
    await deps.choices.refresh();
  };

  app.post("/portal/approvals/:id", async (c) => {
    const session = c.get("session");
    const row = await findApprovalRow(deps.database.db, c.req.param("id"));
    if (!row || row.appId !== session.appId || row.entityId !== session.entityId) {
      return notFound();
    }
    const form = await c.req.parseBody();
    const decision = form.decision;
    if (decision !== "approve" && decision !== "deny") return notFound();
    try {
      await decideApproval(deps.approvals, {
        id: row.id,
        decision,
        by: c.get("by"),
        appId: session.appId,
      });
    } catch (error) {
      if (!(error instanceof SecurixError) || error.code !== "SX-APPROVAL-CLOSED") throw error;
      return c.redirect("/portal?done=closed", 303);
    }
    return c.redirect(`/portal?done=${decision === "approve" ? "approved" : "denied"}`, 303);
  });

  app.post("/portal/sign-out", async (c) => {
    await endPortalSession(deps.database.db, getCookie(c, PORTAL_COOKIE) ?? "");
    const response = renderPage(
      <ResultPage title="Signed out" message="You can close this window." status="success" />,
    );
    response.headers.append("set-cookie", portalCookie(c, deps.secure, "", 0));
    return response;
  });

  return app as unknown as Hono;
}

function strings(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === "string");
}

const FLASH: Record<string, string> = {
  paused: "Paused. Agents are refused until you resume.",
  resumed: "Resumed. Agents can use this account again.",
  revoked: "Disconnected. The app no longer holds this account's credentials.",
  hidden: "Saved. Agents will not see the hidden items from their next request on.",
  scope_off: "Turned off. Agents are refused from their next request on.",
  scope_on: "Turned on.",
  approved: "Approved: the agent may make this call once.",
  denied: "Denied: the agent will be told you said no.",
  closed: "That request was already decided or has expired.",
};

function flashText(done: string | undefined): string | null {
  return done === undefined || !Object.hasOwn(FLASH, done) ? null : FLASH[done];
}
