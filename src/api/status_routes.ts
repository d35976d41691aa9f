import { ENTITY_ID, textProblem } from "../identifiers/identifier.ts";
import { Hono } from "hono";
import { listConnections } from "../connections/connection_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { FlowDeps } from "../flows/flow_deps.ts";
import { latestSessionForEntity } from "../flows/session_store.ts";
import type { AuthSession } from "../flows/session_types.ts";
import type { Connection } from "../connections/connection_types.ts";
import type { ApiEnv } from "./require_api_key.ts";

export type AuthStatus = "AUTH_SUCCESS" | "AUTH_FAILURE" | "AUTH_PENDING";

/**
 * An entity's overall state: success once any connection is active; pending
 * while its latest session is still open; failure when that session ended
 * without one.
 */
export function authStatus(connections: Connection[], latest: AuthSession | null): AuthStatus {
  if (latest && (latest.status === "pending" || latest.status === "awaiting_confirmation")) {
    return connections.some((c) => c.status === "active") ? "AUTH_SUCCESS" : "AUTH_PENDING";
  }
  if (connections.some((c) => c.status === "active")) return "AUTH_SUCCESS";
  return latest ? "AUTH_FAILURE" : "AUTH_PENDING";
}

/** GET /v1/auth/status?entityId=… */
export function statusRoutes(deps: FlowDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", async (c) => {
    const entityId = c.req.query("entityId");
    if (!entityId) {
      throw new SecurixError("SX-INVALID-INPUT", "entityId: required query parameter", {
        status: 400,
      });
    }
    const problem = textProblem(entityId, ENTITY_ID);
    if (problem) {
      throw new SecurixError("SX-INVALID-INPUT", `entityId: ${problem}`, { status: 400 });
    }
    const appId = c.get("app").id;
    const connections = await listConnections(deps.database.db, { appId, entityId });
    const latest = await latestSessionForEntity(deps.database.db, appId, entityId);
    return c.json({
      entityId,
      status: authStatus(connections, latest),
      providers: Object.fromEntries(connections.map((conn) => [conn.provider, {
        status: conn.status,
        scopes: conn.scopes,
        account: conn.account,
      }])),
    });
  });
  return app;
}
