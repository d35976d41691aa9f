import { Hono } from "hono";
import { addAgentInput, type Agent, listAgents } from "../agents/agent_store.ts";
import { apiActor } from "../audit/actor.ts";
import { addAgentCommand } from "../commands/add_agent.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { removeAgentCommand } from "../commands/remove_agent.ts";
import type { Database } from "../db/client.ts";
import type { ApiEnv } from "./require_api_key.ts";
import { parseJsonBody } from "./parse_body.ts";

function agentView(a: Agent) {
  return { agentId: a.agentId, name: a.name, createdAt: new Date(a.createdAt).toISOString() };
}

/** GET/POST /v1/agents, DELETE /v1/agents/{agentId}: the app's registered agents. */
export function agentRoutes(
  deps: { database: Database; commands: CommandsFor },
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", async (c) => {
    return c.json({
      agents: (await listAgents(deps.database.db, c.get("app").id)).map(agentView),
    });
  });
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, addAgentInput);
    const ctx = deps.commands(apiActor(c.get("keyId")));
    const agent = await addAgentCommand(ctx, c.get("app").id, input);
    return c.json(agentView(agent), 201);
  });
  app.delete("/:agentId", async (c) => {
    const ctx = deps.commands(apiActor(c.get("keyId")));
    await removeAgentCommand(ctx, c.get("app").id, c.req.param("agentId"));
    return c.body(null, 204);
  });
  return app;
}
