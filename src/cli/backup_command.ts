import type { Command } from "commander";
import { recordAdminEventNow } from "../audit/admin_event.ts";
import { masterKeyFile } from "../backup/master_key_location.ts";
import { readPassphraseFile } from "../backup/key_wrap.ts";
import { restoreBackup } from "../backup/restore.ts";
import { takeSnapshot } from "../backup/snapshot.ts";
import { type Config, findConfigPath } from "../config/load.ts";
import { exists } from "../config/master_key_file.ts";
import { resolvePath } from "../config/secret_ref.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { openAppliance } from "../http/appliance.ts";
import { loadConfigWithoutKey } from "./config_without_key.ts";
import type { CliContext } from "./context.ts";
import { pidFile, runningServe } from "./pid_file.ts";
import { VERSION } from "./version.ts";

interface BackupOptions {
  includeKey?: boolean;
  passphraseFile?: string;
  json?: boolean;
}

function embeddedOnly(filePath: string | null): string {
  if (filePath) return filePath;
  throw new SecurixError(
    "SX-BACKUP-UNSUPPORTED",
    "database.url is a libSQL server: back it up with the server's own tools",
  );
}

export function registerBackup(program: Command, context: CliContext): void {
  program.command("backup")
    .description("write a consistent snapshot of the running appliance's database to FILE")
    .argument("<file>", "the backup file to write (.sxbak); must not exist")
    .option(
      "--include-key",
      "include the master key, wrapped under a passphrase (needs --passphrase-file)",
    )
    .option("--passphrase-file <file>", "file holding the passphrase for --include-key")
    .option("--json", "print JSON")
    .action(async (file: string, options: BackupOptions) => {
      const { io } = context;
      if (options.includeKey && !options.passphraseFile) {
        throw new SecurixError(
          "SX-BACKUP-PASSPHRASE",
          "--include-key needs --passphrase-file: the master key is never written unwrapped",
        );
      }
      if (options.passphraseFile && !options.includeKey) {
        throw new SecurixError(
          "SX-BACKUP-PASSPHRASE",
          "--passphrase-file is for --include-key; without it the backup holds no key to wrap",
        );
      }
      const passphrase = options.passphraseFile
        ? await readPassphraseFile(resolvePath(io.cwd(), options.passphraseFile))
        : null;
      const { config } = await context.config();
      const started = performance.now();
      const result = await takeSnapshot({
        databasePath: embeddedOnly(config.database.filePath),
        masterKey: config.vault.masterKey,
        file: resolvePath(io.cwd(), file),
        securixVersion: VERSION,
        includeKey: passphrase === null ? undefined : { passphrase },
      });
      const ms = Math.round(performance.now() - started);
      await context.withAppliance(async (appliance) => {
        await recordAdminEventNow(appliance.database, {
          kind: "admin.backup.created",
          by: context.actor(),
          data: {
            file: result.file,
            bytes: result.bytes,
            migration: result.migration,
            includesKey: passphrase !== null,
          },
        }, appliance.now());
      });
      const { header } = result;
      if (options.json) {
        io.out(JSON.stringify({
          file: result.file,
          bytes: result.bytes,
          migration: result.migration,
          createdAt: header.createdAt,
          keyFingerprint: header.keyFingerprint,
          includesKey: passphrase !== null,
          ms,
        }));
        return;
      }
      io.out(
        `Backup written: ${result.file} (${result.bytes} bytes, schema ${result.migration}, ` +
          `master key fingerprint ${header.keyFingerprint}, ${ms} ms)`,
      );
      io.out(
        passphrase === null
          ? "The master key is not in the file: restoring it needs the same master key."
          : "The master key is in the file, wrapped under the passphrase: keep the passphrase apart.",
      );
    });
}

export function registerRestore(program: Command, context: CliContext): void {
  program.command("restore")
    .description("restore a backup into this appliance's (empty) data directory")
    .argument("<file>", "the backup file (.sxbak)")
    .option("--force", "move a database already there aside (never deleted) and restore")
    .option(
      "--passphrase-file <file>",
      "passphrase for a backup made with --include-key (when this machine lacks the key)",
    )
    .action(async (file: string, options: { force?: boolean; passphraseFile?: string }) => {
      const { io } = context;
      const passphrase = options.passphraseFile
        ? await readPassphraseFile(resolvePath(io.cwd(), options.passphraseFile))
        : null;
      const configPath = await findConfigPath({
        path: context.configPath(),
        env: io.env,
        cwd: io.cwd(),
      });
      const keyFile = await masterKeyFile({ configPath, cwd: io.cwd(), env: io.env });
      let config: Config;
      let masterKey: Uint8Array | null;
      if (keyFile !== null && !await exists(keyFile)) {
        // No key on this machine (yet): the backup may hold it, and restore writes it where
        // the config says. Loading the whole config would insist on the key first.
        const loaded = await loadConfigWithoutKey({
          path: context.configPath(),
          env: io.env,
          envNames: io.envNames,
          cwd: io.cwd(),
        });
        for (const warning of loaded.warnings) io.err(warning);
        config = loaded.config;
        masterKey = null;
      } else {
        const loaded = await context.config();
        for (const note of loaded.notes) io.err(note);
        config = loaded.config;
        masterKey = config.vault.masterKey;
      }
      await restoreBackup({
        file: resolvePath(io.cwd(), file),
        config,
        keyFile,
        masterKey,
        passphrase,
        force: options.force === true,
        serving: async () => {
          const file = pidFile(config);
          const pid = await runningServe(file);
          return pid === null || file === null ? null : { pid, pidFile: file };
        },
        now: Date.now,
        say: io.out,
        open: (restored, onMigrated) =>
          openAppliance(restored, { backupBeforeMigrate: false, onMigrated }),
      });
    });
}
