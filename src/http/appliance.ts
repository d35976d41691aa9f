import type { Config } from "../config/load.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate, refuseUnexpectedDatabase } from "../db/migrate.ts";
import { backupBeforeMigrate } from "../backup/pre_migrate.ts";
import { VERSION } from "../cli/version.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { Keyring } from "../vault/keyring.ts";
import { VaultStore } from "../vault/store.ts";
import { encodeHexLowerCase } from "@oslojs/encoding";

/** The opened services one process works with: database, keyring, vault. */
export interface Appliance {
  config: Config;
  database: Database;
  keyring: Keyring;
  vault: VaultStore;
  now: () => number;
  close(): void;
}

export interface OpenApplianceOptions {
  now?: () => number;
  /** Create a missing embedded database file (init, serve); otherwise it is an error. */
  create?: boolean;
  onMigrated?: (names: string[]) => void;
  /** Told the path of the backup taken before pending migrations (see pre_migrate.ts). */
  onBackup?: (path: string) => void;
  /** Skip that backup (restore: the database just came from one). Default true. */
  backupBeforeMigrate?: boolean;
  /**
   * False: open only, no version check, backup or migrations (a serving
   * isolate, whose main isolate migrated the file already). Default true.
   */
  migrate?: boolean;
}

/**
 * Opens the database with the key derived from the master key, applies
 * pending migrations and unlocks the keyring. Any mismatch between master key
 * and stored data stops here, before a single request is served.
 */
export async function openAppliance(
  config: Config,
  options: OpenApplianceOptions = {},
): Promise<Appliance> {
  const now = options.now ?? Date.now;
  const fileKey = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
  const database = await openDatabase({
    url: config.database.url,
    authToken: config.database.authToken,
    encryptionKey: encodeHexLowerCase(fileKey),
    create: options.create === true,
  });
  try {
    if (options.migrate !== false) await prepareSchema(database, config, options, now);
    const keyring = await Keyring.open(database, config.vault.masterKey, now);
    const vault = new VaultStore({ database, keyring, now });
    return { config, database, keyring, vault, now, close: () => database.close() };
  } catch (error) {
    database.close();
    throw error;
  }
}

/**
 * Refuses a database from a newer release or with edited migrations, backs
 * it up when migrations are pending, then applies them: what opening the
 * appliance and `securix migrate` both do.
 */
export async function prepareSchema(
  database: Database,
  config: Config,
  options: Pick<OpenApplianceOptions, "onBackup" | "onMigrated" | "backupBeforeMigrate">,
  now: () => number,
): Promise<void> {
  await refuseUnexpectedDatabase(database.client, MIGRATIONS, VERSION);
  if (options.backupBeforeMigrate !== false) {
    const backup = await backupBeforeMigrate({
      client: database.client,
      migrations: MIGRATIONS,
      databasePath: config.database.filePath,
      backupDir: config.backup.dir,
      masterKey: config.vault.masterKey,
      securixVersion: VERSION,
      now,
    });
    if (backup) options.onBackup?.(backup);
  }
  const applied = await migrate(database.client, MIGRATIONS, now, VERSION);
  options.onMigrated?.(applied);
}
