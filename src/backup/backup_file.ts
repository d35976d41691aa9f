import { createHash } from "node:crypto";
import { z } from "zod";
import { SecurixError } from "../errors/securix_error.ts";
import { wrappedKeySchema } from "./key_wrap.ts";

/**
 * A backup file (`.sxbak`) is one JSON header line, then the database bytes:
 *
 *     {"format":"securix-backup","formatVersion":1,...}\n
 *     <the libSQL database file, encrypted with the page key derived from the master key>
 *
 * The header is readable with `head -1`; it names the master key only by its
 * fingerprint, and holds the master key only wrapped under a passphrase
 * (`--include-key`). The SHA-256 of the database bytes catches a truncated copy.
 */
export const FORMAT = "securix-backup";
export const FORMAT_VERSION = 1;

/** A header line longer than this is not a Securix backup. */
const MAX_HEADER_BYTES = 64 * 1024;

export const backupHeaderSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.literal(FORMAT_VERSION),
  /** The securix version that wrote it. */
  securixVersion: z.string(),
  /** The newest migration applied to the database in the file. */
  migration: z.string(),
  /** When the snapshot was taken (ISO 8601). */
  createdAt: z.string(),
  /** keyFingerprint() of the master key the database is encrypted under. */
  keyFingerprint: z.string().regex(/^[0-9a-f]{16}$/),
  databaseBytes: z.number().int().nonnegative(),
  databaseSha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The master key, wrapped under a passphrase; only with --include-key. */
  wrappedKey: wrappedKeySchema.optional(),
});

export type BackupHeader = z.infer<typeof backupHeaderSchema>;

function corrupt(path: string, why: string, cause?: unknown): SecurixError {
  return new SecurixError("SX-BACKUP-INVALID", `${path} is not a usable Securix backup: ${why}`, {
    cause,
  });
}

/** SHA-256 and size of a file, streamed. */
export async function digestFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const file = await Deno.open(path); // closed by its stream
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * Writes header + database to `path` through a `.partial` file renamed at
 * the end, so an interrupted backup never looks like a complete one.
 * Owner-only (0600): the database is encrypted, but the file is still the whole appliance.
 */
export async function writeBackupFile(
  path: string,
  header: BackupHeader,
  databasePath: string,
): Promise<number> {
  const partial = `${path}.partial`;
  const line = new TextEncoder().encode(JSON.stringify(header) + "\n");
  try {
    {
      using out = await Deno.open(partial, {
        write: true,
        create: true,
        truncate: true,
        mode: 0o600,
      });
      await Deno.chmod(partial, 0o600);
      await writeAll(out, line);
      const db = await Deno.open(databasePath); // closed by its stream
      for await (const chunk of db.readable) await writeAll(out, chunk);
      await out.sync();
    }
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
  return line.length + header.databaseBytes;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

/** The header and where the database bytes start. */
export async function readBackupHeader(
  path: string,
): Promise<{ header: BackupHeader; offset: number }> {
  let head: Uint8Array;
  try {
    using file = await Deno.open(path);
    const buffer = new Uint8Array(MAX_HEADER_BYTES);
    let filled = 0;
    while (filled < buffer.length) {
      const n = await file.read(buffer.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    head = buffer.subarray(0, filled);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw corrupt(path, "file not found", error);
    if (error instanceof Deno.errors.IsADirectory) {
      throw corrupt(path, "it is a directory: name the .sxbak file itself", error);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw corrupt(path, "it cannot be read (permission denied): run as the service user", error);
    }
    throw error;
  }
  const end = head.indexOf(0x0a);
  if (end < 0) throw corrupt(path, "no header line");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(head.subarray(0, end)));
  } catch (error) {
    throw corrupt(path, "the header is not JSON", error);
  }
  const parsed = backupHeaderSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(path, `header ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  return { header: parsed.data, offset: end + 1 };
}

/**
 * Copies the database bytes out to `target` (created new, 0600) and checks
 * their size and SHA-256 against the header; a mismatch removes the target.
 */
export async function extractDatabase(
  path: string,
  offset: number,
  header: BackupHeader,
  target: string,
): Promise<void> {
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    {
      using out = await Deno.open(target, { write: true, createNew: true, mode: 0o600 });
      await Deno.chmod(target, 0o600);
      const file = await Deno.open(path); // closed by its stream
      await file.seek(offset, Deno.SeekMode.Start);
      for await (const chunk of file.readable) {
        hash.update(chunk);
        bytes += chunk.length;
        await writeAll(out, chunk);
      }
      await out.sync();
    }
    if (bytes !== header.databaseBytes || hash.digest("hex") !== header.databaseSha256) {
      throw corrupt(
        path,
        `the database part does not match its header (${bytes} of ${header.databaseBytes} bytes, or a changed byte); the file is truncated or damaged`,
      );
    }
  } catch (error) {
    await Deno.remove(target).catch(() => {});
    throw error;
  }
}
