import type { Client } from "@libsql/client";
import { pendingMigrations } from "../db/migrate.ts";
import type { Migration } from "../db/migrations.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { preMigrateName } from "./backup_name.ts";
import { takeSnapshot } from "./snapshot.ts";

export interface PreMigrateOptions {
  client: Client;
  migrations: readonly Migration[];
  /** The embedded database file; null for a libSQL server (backed up by its own means). */
  databasePath: string | null;
  /** `[backup] dir`. */
  backupDir: string | null;
  masterKey: Uint8Array;
  securixVersion: string;
  now: () => number;
}

/**
 * Migrations are forward-only: before any is applied to a database that
 * holds data, a backup of it as it was is taken, so the old binary can be
 * put back with its data. A fresh database (no migration applied yet) has
 * nothing to lose. Returns the backup's path, or null when none was needed.
 * A failed backup stops the migration.
 */
export async function backupBeforeMigrate(options: PreMigrateOptions): Promise<string | null> {
  if (!options.databasePath || !options.backupDir) return null;
  const pending = await pendingMigrations(options.client, options.migrations);
  if (pending.length === 0) return null;
  const newest = await options.client.execute(
    "SELECT name FROM securix_migrations ORDER BY name DESC LIMIT 1",
  );
  if (newest.rows.length === 0) return null;
  const from = String(newest.rows[0].name);
  const file = `${options.backupDir}/${preMigrateName(from, options.now())}`;
  try {
    await Deno.mkdir(options.backupDir, { recursive: true, mode: 0o700 });
    await takeSnapshot({
      databasePath: options.databasePath,
      masterKey: options.masterKey,
      file,
      securixVersion: options.securixVersion,
      now: options.now,
    });
  } catch (error) {
    throw new SecurixError(
      "SX-BACKUP-FAILED",
      `Migrations ${pending.join(", ")} were not applied: the backup before them (${file}) ` +
        `failed: ${
          (error as Error).message
        }. Free space there or set [backup] dir, then start again.`,
      { cause: error },
    );
  }
  return file;
}
