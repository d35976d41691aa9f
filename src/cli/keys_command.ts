import type { Command } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "../apps/key_store.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson, printTable } from "./io.ts";

export function registerKeys(program: Command, context: CliContext): void {
  const keys = program.command("keys").description("manage API keys of an app");
  keys.command("create <app>")
    .description("create an API key for APP (id or name); the key is shown once")
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database, now }) => {
        const app = await requireApp(database.db, appRef);
        const { record, secret } = await database.transaction(async (tx) => {
          const created = await createApiKey(tx, app.id, { now });
          await recordAdminEvent(tx, {
            kind: "admin.key.created",
            by: context.actor(),
            appId: app.id,
            data: { keyId: created.record.id },
          }, now());
          return created;
        });
        if (options.json) {
          return printJson(context.io, { id: record.id, appId: app.id, key: secret });
        }
        context.io.out(`API key ${record.id} for ${app.name}:`);
        context.io.out(`  ${secret}`);
        context.io.out("Store it now: it is shown only once.");
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
        if (options.json) return printJson(context.io, rows);
        printTable(
          context.io,
          rows,
          ["id", "hint", "createdAt", "lastUsedAt", "revokedAt"],
          `No keys for ${app.name}`,
        );
      });
    });
  keys.command("revoke <keyId>")
    .description("revoke an API key; apps using it are refused within seconds")
    .action(async (keyId: string) => {
      await context.withAppliance(async ({ database, now }) => {
        const changed = await database.transaction(async (tx) => {
          const { record, changed } = await revokeApiKey(tx, keyId, { now });
          if (!changed) return false;
          await recordAdminEvent(tx, {
            kind: "admin.key.revoked",
            by: context.actor(),
            appId: record.appId,
            data: { keyId },
          }, now());
          return true;
        });
        context.io.out(changed ? `Revoked ${keyId}` : `${keyId} was already revoked`);
      });
    });
}
