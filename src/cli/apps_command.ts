import type { Command } from "commander";
import { listApps } from "../apps/app_store.ts";
import { createAppWithKey } from "../apps/create_app_with_key.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson, printTable } from "./io.ts";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerApps(program: Command, context: CliContext): void {
  const apps = program.command("apps").description(
    "manage apps (the products that use this appliance)",
  );
  apps.command("create <name>")
    .description("create an app and its first API key (shown once)")
    .option("--origin <url>", "web origin allowed to run the popup flow (repeatable)", collect, [])
    .option("--json", "print JSON")
    .action(async (name: string, options: { origin: string[]; json?: boolean }) => {
      await context.withAppliance(async ({ database, now }) => {
        const { app, record, secret } = await createAppWithKey(
          database,
          { name, origins: options.origin },
          { now, by: context.actor() },
        );
        const { io } = context;
        if (options.json) {
          printJson(io, {
            app: { ...app, createdAt: isoTime(app.createdAt) },
            apiKey: { id: record.id, key: secret },
          });
          return;
        }
        io.out(`Created app ${app.name} (${app.id})`);
        io.out(`Origins: ${app.origins.join(", ") || "none (add one to use the popup flow)"}`);
        io.out(`API key ${record.id}:`);
        io.out(`  ${secret}`);
        io.out("Store it now: it is shown only once. Send it as the securix-api-key header.");
      });
    });
  apps.command("list")
    .description("list apps")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const rows = (await listApps(database.db)).map((a) => ({
          ...a,
          createdAt: isoTime(a.createdAt),
        }));
        if (options.json) return printJson(context.io, rows);
        printTable(
          context.io,
          rows,
          ["id", "name", "origins", "createdAt"],
          'No apps yet; create one with "securix apps create NAME"',
        );
      });
    });
}
