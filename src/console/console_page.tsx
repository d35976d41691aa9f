import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { renderPage } from "../../web/web_routes.ts";
import { ConsoleLayout, type NavKey } from "./console_layout.tsx";
import type { ConsoleEnv } from "./console_session.ts";

/** What a finished action says on the page it redirects to: fixed texts, never taken from the URL. */
export const DONE_NOTICES: Record<string, string> = {
  app_updated: "App updated.",
  app_deleted: "App deleted.",
  key_revoked: "Key revoked; the app is refused with it within seconds.",
  agent_added: "Agent registered.",
  agent_removed: "Agent removed.",
  paused: "Connection paused: the proxy answers SX-PAUSED from the next call.",
  resumed: "Connection resumed.",
  revoked: "Connection revoked and its credential deleted.",
  refreshed: "Token refreshed.",
  redelivered: "Delivery queued again; it goes out within seconds.",
  tested: "Test event queued.",
  webhook_removed: "Endpoint removed.",
  reloaded: "Rules reloaded from the config file.",
  anomaly_cleared: "Anomaly cleared: the connection is let through from the next call.",
  approval_approved: "Approved: the agent may retry the call once.",
  approval_denied: "Denied: the agent is told no.",
  release_on: "Credential release on: GET /v1/token/{id} releases this app's users' credentials.",
  release_off: "Credential release off: GET /v1/token/{id} answers SX-RELEASE-DISABLED.",
  api_approvals_on:
    "API approvals on: this app's API key can decide its held calls (never from the agent that made the call).",
  api_approvals_off: "API approvals off: POST /v1/approvals/{id} answers SX-APPROVAL-API-DISABLED.",
  mcp_revoked: "MCP URL revoked: calls with it are refused.",
  rules_saved: "Rules saved and reloaded.",
};

export interface PageOptions {
  title: string;
  active: NavKey;
  notice?: { kind: "ok" | "bad" | "warn"; text: string } | null;
  scripts?: string[];
  styles?: string[];
  status?: number;
}

/** A signed-in page, with the notice a redirect asked for (`?done=`) unless one is given. */
export function consolePage(c: Context<ConsoleEnv>, options: PageOptions, body: Child): Response {
  const key = c.req.query("done") ?? "";
  // Own keys only: `?done=constructor` must not show Object's.
  const done = Object.hasOwn(DONE_NOTICES, key) ? DONE_NOTICES[key] : undefined;
  const notice = options.notice ?? (done ? { kind: "ok" as const, text: done } : null);
  return renderPage(
    <ConsoleLayout
      title={options.title}
      active={options.active}
      admin={c.get("admin").name}
      csrf={c.get("csrf")}
      scripts={options.scripts}
      styles={options.styles}
      notice={notice}
    >
      {body}
    </ConsoleLayout>,
    { status: options.status },
  );
}

export function formField(form: Record<string, unknown>, name: string): string {
  const value = form[name];
  return typeof value === "string" ? value.trim() : "";
}

export function seeOther(to: string): Response {
  return new Response(null, { status: 303, headers: { location: to } });
}
