import { SecurixError } from "../errors/securix_error.ts";

/** Which file a process opened: the path may later name another file, or none. */
export interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
}

/** The file behind an embedded `file:` URL, or null for a server or an in-memory database. */
export function embeddedFilePath(url: string): string | null {
  if (!url.startsWith("file:") || url.includes(":memory:")) return null;
  return url.replace(/^file:(\/\/)?/, "").replace(/\?.*$/, "");
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Makes sure the file is there before SQLite opens it. Only `create` may
 * make a new, empty one (init and serve); any other command finding no file
 * would otherwise start an empty appliance beside a lost or moved database.
 * A new file is made owner-only (0600): SQLite gives its -wal and -shm files
 * the database file's mode; a missing directory is made too (0700).
 */
export async function prepareDatabaseFile(path: string, create: boolean): Promise<void> {
  if (await statOrNull(path)) return;
  if (!create) {
    throw new SecurixError(
      "SX-DB-MISSING",
      `No database at ${path}. This command does not create one. If the appliance has data, ` +
        "the file was moved or deleted: put it back (restore it with its -wal file from your " +
        "backup) or point database.url at it. To set up a new appliance, run " +
        '"securix init" (or "securix serve", which creates an empty database).',
      { status: 503 },
    );
  }
  // A hand-written securix.toml names a data directory nothing has made yet (owner-only, as
  // the embedded defaults' securix-data/).
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  if (!await statOrNull(dir)) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await Deno.writeFile(path, new Uint8Array(), { createNew: true, mode: 0o600 });
  } catch (error) {
    // Another process created it in between: open that one.
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}

export async function fileIdentity(path: string): Promise<FileIdentity | null> {
  const info = await statOrNull(path);
  return info && info.dev !== null && info.ino !== null
    ? { path, dev: info.dev, ino: info.ino }
    : null;
}

/**
 * Why the path no longer names the file this process opened (deleted, or
 * replaced by another file), or null while it still does. One stat: cheap
 * enough for every readiness probe.
 */
export async function fileReplacedReason(opened: FileIdentity): Promise<string | null> {
  const now = await statOrNull(opened.path);
  if (!now) return "database file deleted";
  if (now.dev !== opened.dev || now.ino !== opened.ino) return "database file replaced";
  return null;
}
