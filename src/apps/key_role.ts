import { z } from "zod";

/**
 * What an API key may do. `backend` is the app's server: every `/v1` route
 * and the proxy (what every key made before roles became). `agent` is what an
 * agent is handed: the proxy, and reading the status of what it waits on
 * (api/key_role_guard.ts names the routes) — never minting links, deciding
 * approvals, clearing blocks or changing the app.
 */
export const KEY_ROLES = ["backend", "agent"] as const;
export type KeyRole = typeof KEY_ROLES[number];

export const keyRoleSchema = z.enum(KEY_ROLES, {
  error: `role must be one of ${KEY_ROLES.join(", ")}`,
});

/**
 * What an agent key reaches, said the same way wherever it is printed
 * (keys create, init, the SX-KEY-ROLE refusal); the README lists the routes.
 */
export const AGENT_KEY_REACH =
  "it can call provider APIs through the proxy, read the status of its held calls and of connections, and use the connection-id gateway, nothing else";
