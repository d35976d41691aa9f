import type { MiddlewareHandler } from "hono";
import { agentKeyRefused } from "../apps/key_errors.ts";
import type { ApiEnv } from "./require_api_key.ts";

/** One `/v1` call an agent key may make, matched on the whole path. */
interface AgentRoute {
  path: RegExp;
  /** Default GET (and HEAD). */
  method?: "POST";
  /** A query parameter the call must narrow itself with. */
  narrowedBy?: string;
}

/**
 * Everything an agent key may call under `/v1`: reading what it waits on,
 * and the connection-id gateway, which is an agent's own interface (the
 * Nexus agent-integration flow): asking a user to connect (the user still
 * consents), checking the connection, the provider directory, and the token
 * release and refresh, which stay behind the app's release switch and rules.
 * Each pattern is anchored and matched against `c.req.path`, the very string
 * Hono routes on, so a path that matches reaches that read-only handler and
 * nothing else; any other shape (a trailing slash, another case, `//`, an
 * encoded separator, an unknown route) is refused before routing. Ids are
 * the characters `newId` makes. New routes are
 * refused to agent keys until they are added here.
 */
const AGENT_ROUTES: readonly AgentRoute[] = [
  // Poll a held call (SX-APPROVAL-REQUIRED gave the agent its id).
  { path: /^\/v1\/approvals\/[A-Za-z0-9_-]+$/ },
  // The SDK's WebSocket bridge runs in the agent: its connection's provider and token expiry…
  { path: /^\/v1\/connections\/[A-Za-z0-9_-]+$/ },
  // …or, when it names an entity (as it does on every proxied call), that entity's connections.
  { path: /^\/v1\/connections$/, narrowedBy: "entityId" },
  // The connection-id gateway.
  { path: /^\/v1\/request-connection$/, method: "POST" },
  { path: /^\/v1\/check-connection\/[A-Za-z0-9_-]+$/ },
  { path: /^\/v1\/providers$/ },
  { path: /^\/v1\/token\/[A-Za-z0-9_-]+$/ },
  { path: /^\/v1\/refresh\/[A-Za-z0-9_-]+$/, method: "POST" },
];

/** Whether an agent key may make this `/v1` call. */
export function agentMayCall(
  method: string,
  path: string,
  query: Record<string, string>,
): boolean {
  // Hono answers HEAD with the GET handler.
  const wanted = method === "HEAD" ? "GET" : method;
  return AGENT_ROUTES.some((route) =>
    (route.method ?? "GET") === wanted && route.path.test(path) &&
    (route.narrowedBy === undefined || !!query[route.narrowedBy])
  );
}

/**
 * Refuses an agent key everywhere under `/v1` but the routes above, with
 * 403 SX-KEY-ROLE. Runs right after requireApiKey, on every `/v1` request:
 * the role came with the cached key lookup, so this costs no database read.
 */
export function keyRoleGuard(): MiddlewareHandler<ApiEnv> {
  return async function keyRole(c, next) {
    if (c.get("role") !== "backend" && !agentMayCall(c.req.method, c.req.path, c.req.query())) {
      // The path as sent (still percent-encoded), as notFound names it: Hono's
      // decoded path could carry control characters into the message.
      throw agentKeyRefused(c.req.method, new URL(c.req.url).pathname);
    }
    await next();
  };
}
