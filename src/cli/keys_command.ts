import { type Command, Option } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { AGENT_KEY_REACH, KEY_ROLES, type KeyRole } from "../apps/key_role.ts";
import { type ApiKeyRecord, listApiKeys } from "../apps/key_store.ts";
import { createKeyCommand } from "../commands/create_key.ts";
import { revokeKeyCommand } from "../commands/revoke_key.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";

export function registerKeys(program: Command, context: CliContext): void {
  const keys = program.command("keys").description("manage API keys of an app");
  keys.command("create <app>")
    .description("create an API key for APP (id or name); the key is shown once")
    .addOption(
      new Option(
        "--role <role>",
        "backend: every /v1 call and the proxy (your server); agent: the proxy only (hand this one to agents); default backend, agent with --agent",
      ).choices(KEY_ROLES),
    )
    .option(
      "--agent <agent-id>",
      "bind the agent key to this registered agent: securix-agent-id may then only name it (or be left out)",
    )
    .option("--json", "print JSON")
    .action(
      async (appRef: string, options: { role?: KeyRole; agent?: string; json?: boolean }) => {
        await context.withAppliance(async (appliance) => {
          const app = await requireApp(appliance.database.db, appRef);
          const { record, secret } = await createKeyCommand(context.commands(appliance), app.id, {
            role: options.role ?? (options.agent === undefined ? "backend" : "agent"),
            agentId: options.agent ?? null,
          });
          if (options.json) {
            return printJson(context.io, {
              id: record.id,
              appId: app.id,
              role: record.role,
              agentId: record.agentId,
              key: secret,
            });
          }
          const bound = record.agentId === null ? "" : ` for ${record.agentId}`;
          context.io.out(`API key ${record.id} for ${app.name} (role ${record.role}${bound}):`);
          context.io.out(`  ${secret}`);
          context.io.out("Store it now: it is shown only once.");
          if (record.role === "agent") {
            context.io.out(`This is an agent key: ${AGENT_KEY_REACH}.`);
            context.io.out(agentBindingLine(record.agentId));
          }
        });
      },
    );
  keys.command("list <app>")
    .description("list the API keys of APP (never the keys themselves)")
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const app = await requireApp(database.db, appRef);
        const keys = await listApiKeys(database.db, app.id);
        const rows = keys.map((k) => ({
          ...k,
          createdAt: isoTime(k.createdAt),
          lastUsedAt: isoTime(k.lastUsedAt),
          revokedAt: isoTime(k.revokedAt),
        }));
        printList(context.io, options.json, {
          rows,
          columns: ["id", "hint", "role", "agentId", "createdAt", "lastUsedAt", "revokedAt"],
          empty: `No keys for ${app.name}`,
        });
        if (!options.json && keys.some(unboundAgentKey)) {
          context.io.err(
            `Hint: an agent key with no agentId can name any agent of ${app.name}; give each agent a key of its own (securix keys create ${app.name} --agent AGENT_ID) and revoke the unbound ones`,
          );
        }
      });
    });
  keys.command("revoke <keyId>")
    .description("revoke an API key; apps using it are refused within seconds")
    .action(async (keyId: string) => {
      await context.withAppliance(async (appliance) => {
        const { changed } = await revokeKeyCommand(context.commands(appliance), keyId);
        context.io.out(changed ? `Revoked ${keyId}` : `${keyId} was already revoked`);
      });
    });
}

/** What the agent key's binding means for the agent id it sends. */
function agentBindingLine(agentId: string | null): string {
  return agentId === null
    ? "It is bound to no agent: it can name any of the app's agents in securix-agent-id (bind one with --agent AGENT_ID)."
    : `It acts for agent ${agentId} only: securix-agent-id may name that agent or be left out; any other id answers SX-AGENT-MISMATCH.`;
}

/** A live agent key bound to no agent: what `keys list` hints about. */
function unboundAgentKey(key: ApiKeyRecord): boolean {
  return key.role === "agent" && key.agentId === null && key.revokedAt === null;
}
