import type { Client } from "@libsql/client";
import { openDatabase } from "../db/client.ts";

/**
 * Whether the database holds a vault: a `vault_keys` table with a key in it,
 * what Keyring.open finds (and otherwise creates) at every start. Its keys
 * are wrapped with the master key, so a database holding them can only be
 * used with the key it was created with.
 */
export async function holdsVault(client: Pick<Client, "execute">): Promise<boolean> {
  const table = await client.execute(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'vault_keys'",
  );
  if (table.rows.length === 0) return false;
  const key = await client.execute("SELECT 1 FROM vault_keys LIMIT 1");
  return key.rows.length > 0;
}

/**
 * Asks a libSQL server whether it holds a vault (serve, before it generates
 * a master key on a fresh install). Needs no master key: only embedded files
 * are encrypted with one. An unreachable server is SX-DB-UNAVAILABLE.
 */
export async function serverHoldsVault(
  database: { url: string; authToken: string | null },
): Promise<boolean> {
  const opened = await openDatabase({ url: database.url, authToken: database.authToken });
  try {
    return await holdsVault(opened.client);
  } finally {
    opened.close();
  }
}
