import { Hono } from "hono";
import {
  addAgent,
  addAgentInput,
  type Agent,
  listAgents,
  removeAgent,
} from "../agents/agent_store.ts";
import { apiActor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Database } from "../db/client.ts";
import type { ApiEnv } from "./require_api_key.ts";
import { parseJsonBody } from "./parse_body.ts";

function agentView(a: Agent) {
  return { agentId: a.agentId, name: a.name, createdAt: new Date(a.createdAt).toISOString() };
}

/** GET/POST /v1/agents, DELETE /v1/agents/{agentId}: the app's registered agents. */
export function agentRoutes(
  deps: { database: Database; now: () => number; onChange?: () => void },
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", async (c) => {
    return c.json({
      agents: (await listAgents(deps.database.db, c.get("app").id)).map(agentView),
    });
  });
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, addAgentInput);
    const appId = c.get("app").id;
    const agent = await deps.database.transaction(async (tx) => {
      const agent = await addAgent(tx, appId, input, deps);
      await recordAdminEvent(tx, {
        kind: "admin.agent.added",
        by: apiActor(c.get("keyId")),
        appId,
        agentId: agent.agentId,
        data: { name: agent.name },
      }, deps.now());
      return agent;
    });
    deps.onChange?.();
    return c.json(agentView(agent), 201);
  });
  app.delete("/:agentId", async (c) => {
    const appId = c.get("app").id;
    const agentId = c.req.param("agentId");
    await deps.database.transaction(async (tx) => {
      await removeAgent(tx, appId, agentId);
      await recordAdminEvent(tx, {
        kind: "admin.agent.removed",
        by: apiActor(c.get("keyId")),
        appId,
        agentId,
      }, deps.now());
    });
    deps.onChange?.();
    return c.body(null, 204);
  });
  return app;
}
