import type { Command } from "commander";
import { addAgent, listAgents, removeAgent } from "../agents/agent_store.ts";
import { requireApp } from "../apps/app_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson, printTable } from "./io.ts";

export function registerAgents(program: Command, context: CliContext): void {
  const agents = program.command("agents").description(
    "manage the agents an app may proxy requests for",
  );
  agents.command("add <app> <agentId>")
    .description("register AGENT_ID for APP; requests with another securix-agent-id are refused")
    .option("--name <name>", "a readable name")
    .option("--json", "print JSON")
    .action(async (appRef: string, agentId: string, options: { name?: string; json?: boolean }) => {
      await context.withAppliance(async ({ database, now }) => {
        const app = await requireApp(database.db, appRef);
        const agent = await database.transaction(async (tx) => {
          const agent = await addAgent(tx, app.id, { agentId, name: options.name }, { now });
          await recordAdminEvent(tx, {
            kind: "admin.agent.added",
            by: context.actor(),
            appId: app.id,
            agentId: agent.agentId,
            data: { name: agent.name },
          }, now());
          return agent;
        });
        if (options.json) {
          return printJson(context.io, { ...agent, createdAt: isoTime(agent.createdAt) });
        }
        context.io.out(`Registered agent ${agent.agentId} for ${app.name}`);
      });
    });
  agents.command("list <app>")
    .description("list the agents of APP")
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const app = await requireApp(database.db, appRef);
        const rows = (await listAgents(database.db, app.id)).map((a) => ({
          ...a,
          createdAt: isoTime(a.createdAt),
        }));
        if (options.json) return printJson(context.io, rows);
        printTable(context.io, rows, ["agentId", "name", "createdAt"], `No agents for ${app.name}`);
      });
    });
  agents.command("remove <app> <agentId>")
    .description("unregister AGENT_ID; its requests are refused from then on")
    .action(async (appRef: string, agentId: string) => {
      await context.withAppliance(async ({ database, now }) => {
        const app = await requireApp(database.db, appRef);
        await database.transaction(async (tx) => {
          await removeAgent(tx, app.id, agentId);
          await recordAdminEvent(tx, {
            kind: "admin.agent.removed",
            by: context.actor(),
            appId: app.id,
            agentId,
          }, now());
        });
        context.io.out(`Removed agent ${agentId} from ${app.name}`);
      });
    });
}
