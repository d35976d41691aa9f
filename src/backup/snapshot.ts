import { createClient } from "@libsql/client";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { openDatabase } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import {
  type BackupHeader,
  digestFile,
  FORMAT,
  FORMAT_VERSION,
  writeBackupFile,
} from "./backup_file.ts";
import { keyFingerprint } from "./key_fingerprint.ts";
import { type KdfCost, wrapMasterKey } from "./key_wrap.ts";

export interface SnapshotOptions {
  /** The live embedded database file. */
  databasePath: string;
  masterKey: Uint8Array;
  /** The `.sxbak` file to write; must not exist yet. */
  file: string;
  securixVersion: string;
  now?: () => number;
  /** Include the master key, wrapped under this passphrase. */
  includeKey?: { passphrase: string; cost?: KdfCost };
}

export interface SnapshotResult {
  file: string;
  /** Size of the backup file. */
  bytes: number;
  migration: string;
  header: BackupHeader;
  /** How long the snapshot itself (VACUUM INTO) took, in ms. */
  snapshotMs: number;
}

/** The newest migration of a database file (migration names sort in order). */
async function newestMigration(url: string, encryptionKey: string): Promise<string> {
  const client = createClient({ url, encryptionKey });
  try {
    const rows = await client.execute(
      "SELECT name FROM securix_migrations ORDER BY name DESC LIMIT 1",
    );
    return rows.rows.length > 0 ? String(rows.rows[0].name) : "none";
  } finally {
    client.close();
  }
}

/**
 * A consistent online snapshot: `VACUUM INTO` reads one transaction's view
 * of the live database (WAL: writers, in this process or another, go on)
 * and writes a compact copy encrypted with the same page key. The copy is
 * opened with the key before it is packed, so a backup that could not be
 * restored is never written.
 */
export async function takeSnapshot(options: SnapshotOptions): Promise<SnapshotResult> {
  const now = options.now ?? Date.now;
  if (await exists(options.file)) {
    throw new SecurixError("SX-BACKUP-EXISTS", `${options.file} exists; choose a new file name`);
  }
  const encryptionKey = encodeHexLowerCase(
    await deriveSubkey(options.masterKey, LABELS.databaseFile),
  );
  const slash = options.file.lastIndexOf("/");
  const dir = slash >= 0 ? options.file.slice(0, slash) || "/" : ".";
  const name = options.file.slice(slash + 1);
  const temp = `${dir}/.${name}.${crypto.randomUUID().slice(0, 8)}.snapshot`;
  // VACUUM INTO takes an empty file: made owner-only first, as SQLite would make it 0644.
  try {
    await Deno.writeFile(temp, new Uint8Array(), { mode: 0o600, createNew: true });
  } catch (error) {
    // Named for what the operator typed (the directory), never the temporary file's name.
    const why = error instanceof Deno.errors.NotFound
      ? `does not exist: create it (mkdir -p ${dir}) or choose another path`
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "is not writable by this user: choose another path"
      : `cannot be written (${(error as Error).message})`;
    throw new SecurixError("SX-BACKUP-DIR", `The directory ${dir} ${why}; nothing was written`, {
      cause: error,
    });
  }
  await Deno.chmod(temp, 0o600);
  const createdAt = now();
  const database = await openDatabase({ url: `file:${options.databasePath}`, encryptionKey });
  const started = performance.now();
  try {
    try {
      await database.client.execute({ sql: "VACUUM INTO ?", args: [temp] });
    } finally {
      database.close();
    }
    const snapshotMs = performance.now() - started;
    const migration = await newestMigration(`file:${temp}`, encryptionKey);
    const digest = await digestFile(temp);
    const fingerprint = await keyFingerprint(options.masterKey);
    const header: BackupHeader = {
      format: FORMAT,
      formatVersion: FORMAT_VERSION,
      securixVersion: options.securixVersion,
      migration,
      createdAt: new Date(createdAt).toISOString(),
      keyFingerprint: fingerprint,
      databaseBytes: digest.bytes,
      databaseSha256: digest.sha256,
      ...(options.includeKey
        ? {
          wrappedKey: await wrapMasterKey(
            options.masterKey,
            options.includeKey.passphrase,
            fingerprint,
            options.includeKey.cost,
          ),
        }
        : {}),
    };
    const bytes = await writeBackupFile(options.file, header, temp);
    return { file: options.file, bytes, migration, header, snapshotMs };
  } finally {
    for (const suffix of ["", "-journal", "-wal", "-shm"]) {
      await Deno.remove(temp + suffix).catch(() => {});
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
