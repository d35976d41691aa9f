import { type Context, Hono } from "hono";
import { apiActor } from "../audit/actor.ts";
import type { FlowDeps } from "../flows/flow_deps.ts";
import { loadSession } from "../flows/session_store.ts";
import { isOpen } from "../flows/session_types.ts";
import { getConnection } from "../connections/connection_store.ts";
import { gatewayErrors } from "../gateway/gateway_errors.ts";
import { gatewayStatus } from "../gateway/connection_state.ts";
import { latestForConnection } from "../gateway/gateway_store.ts";
import { type ProviderDirectory, providersByAuthType } from "../gateway/provider_directory.ts";
import {
  ownConnection,
  refreshOnly,
  refuseAgentMismatch,
  releaseCredential,
  type ReleaseDeps,
  type Releaser,
} from "../gateway/release_credential.ts";
import { requestConnection, requestConnectionInput } from "../gateway/request_connection.ts";
import { agentIdSchema, findAgent } from "../agents/agent_store.ts";
import { AgentMismatch, proxyErrors } from "../proxy/proxy_errors.ts";
import { actingAgent } from "../proxy/acting_agent.ts";
import { requireApp } from "../apps/app_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { parseJsonBody } from "./parse_body.ts";
import type { ApiEnv } from "./require_api_key.ts";

export interface GatewayRouteDeps {
  flows: FlowDeps;
  directory: ProviderDirectory;
  release: ReleaseDeps;
}

/**
 * The Nexus-compatible connection-id gateway, behind the app's API key:
 * POST /v1/request-connection, GET /v1/check-connection/{id},
 * GET /v1/token/{id}, POST /v1/refresh/{id}, GET /v1/providers.
 */
export function gatewayRoutes(deps: GatewayRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const db = deps.flows.database.db;
  app.post("/request-connection", async (c) => {
    const input = await parseJsonBody(c, requestConnectionInput);
    const requested = await requestConnection(
      deps.flows,
      deps.directory,
      c.get("app"),
      input,
      c.get("role"),
    );
    return c.json(requested, 201);
  });
  app.get("/check-connection/:id", async (c) => {
    const id = c.req.param("id");
    const request = await latestForConnection(db, id);
    const owned = request?.appId === c.get("app").id ? request : null;
    const session = owned
      ? await loadSession(deps.flows.database, owned.sessionId, deps.flows.now())
      : null;
    // The app's own metadata from request-connection, given back to it alone.
    const metadata = owned?.metadata ? JSON.parse(owned.metadata) : null;
    const connection = await getConnection(db, id);
    if (connection?.appId === c.get("app").id && connection.status !== "revoked") {
      return c.json({
        status: gatewayStatus(connection, session),
        provider: connection.provider,
        metadata,
      });
    }
    // A consent that failed leaves no connection behind (the leftovers sweep deletes the
    // pending row); the id the app was promised still answers, as failed.
    if (owned && connection === null) {
      return c.json({
        status: session && isOpen(session) ? "pending" : "failed",
        provider: owned.provider,
        metadata,
      });
    }
    throw gatewayErrors.connectionNotFound();
  });
  // The app as stored now, not as the key cache saw it: switching release off takes effect at once.
  const releaser = async (c: Context<ApiEnv>, id: string) => {
    // Empty counts as left out, as on the proxy (acting_agent.ts).
    const sent = c.req.header("securix-agent-id") || undefined;
    if (sent !== undefined && !agentIdSchema.safeParse(sent).success) {
      throw new SecurixError("SX-INVALID-INPUT", "securix-agent-id: not a valid agent id", {
        status: 400,
      });
    }
    const app = await requireApp(db, c.get("app").id);
    const by = apiActor(c.get("keyId"));
    // A bound key naming another agent is refused before the id is looked at: no 404 first.
    let agent: string | null;
    try {
      agent = actingAgent({ app, agentId: c.get("keyAgentId") }, sent);
    } catch (error) {
      if (!(error instanceof AgentMismatch)) throw error;
      const who: Releaser = { app, by, agentId: error.boundAgentId };
      return await refuseAgentMismatch(deps.release, who, id, error);
    }
    // As the proxy: an agent id the app never registered names nobody a rule could concern.
    if (agent !== null && await findAgent(db, app.id, agent) === null) {
      throw proxyErrors.unknownAgent(agent);
    }
    const who: Releaser = { app, by, agentId: agent };
    const connection = await ownConnection(db, app, id);
    return { who, connection };
  };
  app.get("/token/:id", async (c) => {
    const { who, connection } = await releaser(c, c.req.param("id"));
    return c.json(await releaseCredential(deps.release, who, connection, { force: false }));
  });
  const refresh = async (c: Context<ApiEnv>) => {
    const { who, connection } = await releaser(c, c.req.param("id")!);
    if (!who.app.credentialRelease) return c.json(await refreshOnly(deps.release, connection));
    return c.json(await releaseCredential(deps.release, who, connection, { force: true }));
  };
  app.post("/refresh/:id", refresh);
  // The architecture's spelling of the same call.
  app.post("/connections/:id/refresh", refresh);
  app.get("/providers", (c) => c.json(providersByAuthType(deps.directory.entries())));
  return app;
}
