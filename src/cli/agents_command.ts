import type { Command } from "commander";
import { listAgents } from "../agents/agent_store.ts";
import { requireApp } from "../apps/app_store.ts";
import { addAgentCommand } from "../commands/add_agent.ts";
import { removeAgentCommand } from "../commands/remove_agent.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";

export function registerAgents(program: Command, context: CliContext): void {
  const agents = program.command("agents").description(
    "manage the agents an app may proxy requests for",
  );
  agents.command("add <app> <agentId>")
    .description("register AGENT_ID for APP; requests with another securix-agent-id are refused")
    .option("--name <name>", "a readable name")
    .option("--json", "print JSON")
    .action(async (appRef: string, agentId: string, options: { name?: string; json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const app = await requireApp(appliance.database.db, appRef);
        const agent = await addAgentCommand(context.commands(appliance), app.id, {
          agentId,
          name: options.name,
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
        printList(context.io, options.json, {
          rows,
          columns: ["agentId", "name", "createdAt"],
          empty: `No agents for ${app.name}`,
        });
      });
    });
  agents.command("remove <app> <agentId>")
    .description("unregister AGENT_ID; its requests are refused from then on")
    .action(async (appRef: string, agentId: string) => {
      await context.withAppliance(async (appliance) => {
        const app = await requireApp(appliance.database.db, appRef);
        await removeAgentCommand(context.commands(appliance), app.id, agentId);
        context.io.out(`Removed agent ${agentId} from ${app.name}`);
      });
    });
}
