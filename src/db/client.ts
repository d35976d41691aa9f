import { type Client, createClient, LibsqlError } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import * as schema from "./schema.ts";
import { serializeWrites } from "./write_lock.ts";
import { SecurixError } from "../errors/securix_error.ts";
import {
  embeddedFilePath,
  type FileIdentity,
  fileIdentity,
  prepareDatabaseFile,
} from "./database_file.ts";
import { shownDatabaseUrl, withoutAuthToken } from "./shown_url.ts";

export type Db = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface Database {
  client: Client;
  /** How it was opened: another thread opens its own connection to the same file with these. */
  openOptions: OpenOptions;
  db: Db;
  /**
   * Runs `fn` in a write transaction (BEGIN IMMEDIATE). For an embedded file
   * the client queues writes and transactions of this process on one mutex
   * (see write_lock.ts), so a transaction never waits on a lock it holds.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** The embedded file as opened (null for a server), to notice it being deleted or replaced. */
  file: FileIdentity | null;
  close(): void;
}

export interface OpenOptions {
  url: string;
  authToken?: string | null;
  /** libSQL page encryption key for embedded files (derived from the master key). */
  encryptionKey?: string | null;
  /**
   * May a missing embedded file be created (empty, mode 0600)? Only `init`,
   * `serve` and tests say yes; everywhere else a missing file is an error.
   */
  create?: boolean;
}

/**
 * Opens the database and proves the key works with one read, so a wrong
 * master key stops the start instead of failing on the first request.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const embedded = options.url.startsWith("file:");
  const path = embeddedFilePath(options.url);
  if (path) await prepareDatabaseFile(path, options.create === true);
  const raw = createClient({
    url: options.url,
    authToken: options.authToken ?? undefined,
    encryptionKey: embedded ? options.encryptionKey ?? undefined : undefined,
    // Busy timeout (ms) for every pooled connection: two appliance processes
    // may share one file, and writers must queue rather than fail.
    timeout: 5_000,
  });
  const client = embedded ? serializeWrites(raw) : raw;
  try {
    await client.execute("SELECT count(*) FROM sqlite_master");
    if (embedded) {
      // WAL persists in the file; readers never block the writer.
      await client.execute("PRAGMA journal_mode = WAL");
    }
  } catch (error) {
    raw.close();
    throw databaseOpenError(options.url, error);
  }
  const db = drizzle(client, { schema });
  const transaction = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    db.transaction(fn, { behavior: "immediate" });
  const file = path ? await fileIdentity(path) : null;
  return { client, db, transaction, openOptions: options, file, close: () => raw.close() };
}

function databaseOpenError(raw: string, error: unknown): SecurixError {
  const url = shownDatabaseUrl(raw);
  const code = error instanceof LibsqlError ? error.code : "";
  if (code === "SQLITE_NOTADB") {
    return new SecurixError(
      "SX-MASTER-KEY-MISMATCH",
      `Cannot open ${url}: the master key does not decrypt this database. ` +
        "Start with the master key it was created with, or move the database away to start empty",
      { cause: error },
    );
  }
  return new SecurixError(
    "SX-DB-UNAVAILABLE",
    `Cannot open database ${url}: ${
      withoutAuthToken(
        (error instanceof Error ? error.message : String(error)).replaceAll(raw, url),
      )
    }`,
    { status: 503, cause: error },
  );
}
