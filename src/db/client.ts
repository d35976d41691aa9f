import { type Client, createClient, LibsqlError } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import * as schema from "./schema.ts";
import { SecurixError } from "../errors/securix_error.ts";

export type Db = LibSQLDatabase<typeof schema>;

export interface Database {
  client: Client;
  db: Db;
  close(): void;
}

export interface OpenOptions {
  url: string;
  authToken?: string | null;
  /** libSQL page encryption key for embedded files (derived from the master key). */
  encryptionKey?: string | null;
}

/**
 * Opens the database and proves the key works with one read, so a wrong
 * master key stops the start instead of failing on the first request.
 */
export async function openDatabase(options: OpenOptions): Promise<Database> {
  const embedded = options.url.startsWith("file:");
  const client = createClient({
    url: options.url,
    authToken: options.authToken ?? undefined,
    encryptionKey: embedded ? options.encryptionKey ?? undefined : undefined,
  });
  try {
    await client.execute("PRAGMA foreign_keys = ON");
    await client.execute("SELECT count(*) FROM sqlite_master");
    if (embedded) {
      await client.execute("PRAGMA journal_mode = WAL");
      await client.execute("PRAGMA busy_timeout = 5000");
    }
  } catch (error) {
    client.close();
    throw databaseOpenError(options.url, error);
  }
  return { client, db: drizzle(client, { schema }), close: () => client.close() };
}

function databaseOpenError(url: string, error: unknown): SecurixError {
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
    `Cannot open database ${url}: ${error instanceof Error ? error.message : String(error)}`,
    { status: 503, cause: error },
  );
}
