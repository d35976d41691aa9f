import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Config } from "../config/load.ts";
import { verifyChain, type VerifyResult } from "../audit/verify_chain.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { Appliance } from "../http/appliance.ts";
import { type BackupHeader, extractDatabase, readBackupHeader } from "./backup_file.ts";
import { timeStamp } from "./backup_name.ts";
import { keyFingerprint } from "./key_fingerprint.ts";
import { unwrapMasterKey } from "./key_wrap.ts";

export interface RestoreOptions {
  /** The `.sxbak` file. */
  file: string;
  /** The target appliance's config: its database file and (possibly) master key. */
  config: Config;
  /** Where the configured master key is read from (null: an environment variable). */
  keyFile: string | null;
  /**
   * The master key configured here; null when there is none yet (its file does not exist):
   * then only a key included in the backup can restore it. Default: `config.vault.masterKey`.
   */
  masterKey?: Uint8Array | null;
  /** Unwraps a key included in the backup (`--passphrase-file`). */
  passphrase: string | null;
  /** Move a database (and master key) already there aside instead of refusing. */
  force: boolean;
  /**
   * The live `serve` on the target data directory, if any (from its pid file, a stale one
   * ignored): restoring under it would move its database away while it keeps writing to it.
   */
  serving?: () => Promise<{ pid: number; pidFile: string } | null>;
  now: () => number;
  /** One line per step, as it happens. */
  say: (line: string) => void;
  /** Opens the restored appliance, applying pending migrations (no pre-migration backup: the file is one). */
  open: (config: Config, onMigrated: (names: string[]) => void) => Promise<Appliance>;
}

export interface RestoreResult {
  databasePath: string;
  migrated: string[];
  movedAside: string[];
  keyWritten: string | null;
  audit: VerifyResult;
}

async function size(path: string): Promise<number | null> {
  try {
    return (await Deno.lstat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

function keyMismatch(message: string): SecurixError {
  return new SecurixError("SX-BACKUP-KEY-MISMATCH", message);
}

/** The master key the backup needs: the configured one, or the one included in the backup. */
async function chooseKey(
  options: RestoreOptions,
  header: Awaited<ReturnType<typeof readBackupHeader>>["header"],
): Promise<{ key: Uint8Array; fromBackup: boolean }> {
  const masterKey = options.masterKey === undefined
    ? options.config.vault.masterKey
    : options.masterKey;
  const configured = masterKey === null ? null : await keyFingerprint(masterKey);
  if (masterKey !== null && configured === header.keyFingerprint) {
    options.say(`Key: the configured master key matches (fingerprint ${configured})`);
    return { key: masterKey, fromBackup: false };
  }
  const needs = `This backup needs the master key with fingerprint ${header.keyFingerprint}; ` +
    (configured === null
      ? `there is no master key here (${options.keyFile} does not exist).`
      : `the configured master key has fingerprint ${configured}.`);
  if (!header.wrappedKey) {
    throw keyMismatch(
      configured === null
        ? `${needs} Put the original master key at ${options.keyFile} and restore again, or ` +
          "restore a backup made with --include-key (with --passphrase-file). Nothing was written."
        : `${needs} Put the original master key in place (vault.master_key) and restore again. ` +
          "Nothing was written.",
    );
  }
  if (options.passphrase === null) {
    throw keyMismatch(
      `${needs} The backup includes the key, wrapped under a passphrase: pass ` +
        "--passphrase-file FILE. Nothing was written.",
    );
  }
  const key = await unwrapMasterKey(header.wrappedKey, options.passphrase, header.keyFingerprint);
  if (await keyFingerprint(key) !== header.keyFingerprint) {
    throw new SecurixError(
      "SX-BACKUP-INVALID",
      "The key included in the backup does not match its fingerprint",
    );
  }
  if (options.keyFile === null) {
    throw keyMismatch(
      `${needs} The key in the backup cannot be installed: the master key comes from an ` +
        "environment variable. Point vault.master_key at a file (file:/path) and restore again. " +
        "Nothing was written.",
    );
  }
  options.say(
    `Key: unwrapped from the backup with the passphrase (fingerprint ${header.keyFingerprint})`,
  );
  return { key, fromBackup: true };
}

/**
 * Restores a backup into the configured data directory. Everything that can
 * refuse (header, key, a database already there) is checked before the
 * first write; then the database is written (0600), pending migrations run,
 * the vault is unlocked and the audit chain verified, each reported by `say`.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { config, say } = options;
  const { header, offset } = await readBackupHeader(options.file);
  say(
    `Backup: ${options.file} (securix ${header.securixVersion}, schema ${header.migration}, ` +
      `taken ${header.createdAt}, ${header.databaseBytes} database bytes${
        header.wrappedKey ? ", master key included" : ""
      })`,
  );
  const target = config.database.filePath;
  if (!target) {
    throw new SecurixError(
      "SX-BACKUP-UNSUPPORTED",
      "database.url is a libSQL server; restore writes an embedded database file (file:…)",
    );
  }
  const { key, fromBackup } = await chooseKey(options, header);
  const serving = await options.serving?.();
  if (serving) {
    throw new SecurixError(
      "SX-BACKUP-SERVE-RUNNING",
      `securix serve is running on this data directory (pid ${serving.pid}, from ` +
        `${serving.pidFile}): a restore would move its database aside while it keeps writing ` +
        "to it. Stop the service first (systemctl stop securix, or stop that serve process), " +
        "then restore again, and start it after. Nothing was written.",
    );
  }
  const occupied: string[] = [];
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    const bytes = await size(target + suffix);
    if (bytes !== null && (bytes > 0 || suffix !== "")) occupied.push(target + suffix);
  }
  const stamp = timeStamp(options.now());
  if (occupied.length > 0 && !options.force) {
    throw new SecurixError(
      "SX-BACKUP-TARGET-NOT-EMPTY",
      `A database is already there (${occupied.join(", ")}). Restore into an empty data ` +
        `directory, or pass --force to move it aside (to *.before-restore-${stamp}). ` +
        "Nothing was written.",
    );
  }
  const keyFile = fromBackup ? options.keyFile : null;
  const keyFileBytes = keyFile ? await size(keyFile) : null;

  // From here on, writes: first the backup's database beside the target, where it is
  // migrated, unlocked and verified; only a database that passed all of that replaces
  // the one in place, so a damaged backup leaves everything as it was.
  const dir = target.slice(0, target.lastIndexOf("/")) || "/";
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const staging = `${target}.restoring-${stamp}`;
  const checked = await restoreInto(options, header, offset, key, staging);

  const movedAside: string[] = [];
  const moveAside = async (path: string) => {
    const aside = `${path}.before-restore-${stamp}`;
    await Deno.rename(path, aside);
    movedAside.push(aside);
    say(`Moved aside: ${path} → ${aside}`);
  };
  for (const path of occupied) await moveAside(path);
  // An empty file is what `serve` creates before the first migration: it holds nothing.
  if (await size(target) === 0) await Deno.remove(target);
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    if (await size(staging + suffix) !== null) await Deno.rename(staging + suffix, target + suffix);
  }
  say(`Database: ${target} in place (mode 0600)`);
  if (keyFile) {
    // The key there belongs to no database now (or to the one just moved aside): keep it.
    if (keyFileBytes !== null) await moveAside(keyFile);
    await Deno.writeTextFile(keyFile, encodeHexLowerCase(key) + "\n", {
      mode: 0o600,
      createNew: true,
    });
    await Deno.chmod(keyFile, 0o600);
    say(`Master key: written to ${keyFile} (mode 0600); keep a copy apart from the backups`);
  }
  say(`Restored: ${target}`);
  return { databasePath: target, ...checked, movedAside, keyWritten: keyFile };
}

/**
 * Writes the backup's database to `path` and migrates, unlocks and verifies
 * it there; on any failure the file is removed and nothing else was touched.
 */
async function restoreInto(
  options: RestoreOptions,
  header: BackupHeader,
  offset: number,
  key: Uint8Array,
  path: string,
): Promise<Pick<RestoreResult, "migrated" | "audit">> {
  const { config, say } = options;
  try {
    await extractDatabase(options.file, offset, header, path);
    say(`Database: checked and written beside it, ${path} (${header.databaseBytes} bytes)`);
    let migrated: string[] = [];
    const appliance = await options.open(
      {
        ...config,
        database: { ...config.database, url: `file:${path}`, filePath: path },
        vault: { masterKey: key },
      },
      (names) => migrated = names,
    );
    try {
      say(
        migrated.length > 0
          ? `Migrations: applied ${migrated.join(", ")}`
          : `Migrations: none pending (schema ${header.migration})`,
      );
      const versions = await appliance.keyring.versions();
      say(
        `Vault: unlocked (${versions.filter((v) => v.status !== "retired").length} key versions)`,
      );
      const audit = await verifyChain(appliance.database.db);
      if (!audit.ok) {
        for (const found of audit.breaks) {
          say(
            `Audit chain BROKEN at ${
              found.seq === null ? "the chain" : `record #${found.seq}`
            }: ${found.problem}`,
          );
        }
        throw new SecurixError(
          "SX-AUDIT-BROKEN",
          `The backup's audit chain is broken (${
            audit.breaks.length + audit.more
          } breaks); nothing was restored`,
        );
      }
      say(`Audit chain intact: ${audit.checked} records verified`);
      return { migrated, audit };
    } finally {
      appliance.close();
    }
  } catch (error) {
    for (const suffix of ["", "-wal", "-shm", "-journal"]) {
      await Deno.remove(path + suffix).catch(() => {});
    }
    throw error;
  }
}
