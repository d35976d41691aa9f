import { Hono } from "hono";
import {
  addAgent,
  addAgentInput,
  type Agent,
  listAgents,
  removeAgent,
} from "../agents/agent_store.ts";
import type { Db } from "../db/client.ts";
import type { ApiEnv } from "./require_api_key.ts";
import { parseJsonBody } from "./parse_body.ts";

function agentView(a: Agent) {
  return { agentId: a.agentId, name: a.name, createdAt: new Date(a.createdAt).toISOString() };
}

/** GET/POST /v1/agents, DELETE /v1/agents/{agentId}: the app's registered agents. */
export function agentRoutes(
  deps: { db: Db; now: () => number; onChange?: () => void },
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", async (c) => {
    return c.json({ agents: (await listAgents(deps.db, c.get("app").id)).map(agentView) });
  });
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, addAgentInput);
    const agent = await addAgent(deps.db, c.get("app").id, input, deps);
    deps.onChange?.();
    return c.json(agentView(agent), 201);
  });
  app.delete("/:agentId", async (c) => {
    await removeAgent(deps.db, c.get("app").id, c.req.param("agentId"));
    deps.onChange?.();
    return c.body(null, 204);
  });
  return app;
}
