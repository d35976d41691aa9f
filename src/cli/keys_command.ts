import { type Command, Option } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { AGENT_KEY_REACH, KEY_ROLES, type KeyRole } from "../apps/key_role.ts";
import { listApiKeys } from "../apps/key_store.ts";
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
        "backend: every /v1 call and the proxy (your server); agent: the proxy only (hand this one to agents)",
      ).choices(KEY_ROLES).default("backend"),
    )
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { role: KeyRole; json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const app = await requireApp(appliance.database.db, appRef);
        const { record, secret } = await createKeyCommand(
          context.commands(appliance),
          app.id,
          options.role,
        );
        if (options.json) {
          return printJson(context.io, {
            id: record.id,
            appId: app.id,
            role: record.role,
            key: secret,
          });
        }
        context.io.out(`API key ${record.id} for ${app.name} (role ${record.role}):`);
        context.io.out(`  ${secret}`);
        context.io.out("Store it now: it is shown only once.");
        if (record.role === "agent") {
          context.io.out(`This is an agent key: ${AGENT_KEY_REACH}.`);
        }
      });
    });
  keys.command("list <app>")
    .description("list the API keys of APP (never the keys themselves)")
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const app = await requireApp(database.db, appRef);
        const rows = (await listApiKeys(database.db, app.id)).map((k) => ({
          ...k,
          createdAt: isoTime(k.createdAt),
          lastUsedAt: isoTime(k.lastUsedAt),
          revokedAt: isoTime(k.revokedAt),
        }));
        printList(context.io, options.json, {
          rows,
          columns: ["id", "hint", "role", "createdAt", "lastUsedAt", "revokedAt"],
          empty: `No keys for ${app.name}`,
        });
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
