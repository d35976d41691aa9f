import type { Command } from "commander";
import { openDatabase } from "../db/client.ts";
import { pendingMigrations, refuseUnexpectedDatabase } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { prepareSchema } from "../http/appliance.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { SecurixError } from "../errors/securix_error.ts";
import type { CliContext } from "./context.ts";
import { pidFile, runningServe } from "./pid_file.ts";
import { VERSION } from "./version.ts";

export function registerMigrate(program: Command, context: CliContext): void {
  program.command("migrate")
    .description("apply pending database migrations (after a backup of the database as it was)")
    .option("--status", "only list pending migrations")
    .action(async (options: { status?: boolean }) => {
      const { config } = await context.config();
      if (!options.status) {
        // A serve keeps running the schema it started with: migrating under it (the new
        // binary's migrate before the old serve stops) changes tables its code still uses.
        const file = pidFile(config);
        const pid = await runningServe(file);
        if (pid !== null) {
          throw new SecurixError(
            "SX-MIGRATE-SERVE-RUNNING",
            `securix serve is running on this database (pid ${pid}, from ${file}). Stop the ` +
              "service first (systemctl stop securix), then migrate, or just start the new " +
              "binary: serve applies pending migrations itself. Nothing was changed.",
          );
        }
      }
      const key = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
      const database = await openDatabase({
        url: config.database.url,
        authToken: config.database.authToken,
        encryptionKey: encodeHexLowerCase(key),
      });
      try {
        await refuseUnexpectedDatabase(database.client, MIGRATIONS, VERSION);
        if (options.status) {
          const pending = await pendingMigrations(database.client, MIGRATIONS);
          context.io.out(
            pending.length === 0 ? "No pending migrations" : `Pending: ${pending.join(", ")}`,
          );
          return;
        }
        await prepareSchema(database, config, {
          onBackup: (path) => context.io.out(`Backup before migrating: ${path}`),
          onMigrated: (applied) =>
            context.io.out(
              applied.length === 0 ? "Database is up to date" : `Applied: ${applied.join(", ")}`,
            ),
        }, Date.now);
      } finally {
        database.close();
      }
    });
}
