import type { Client } from "@libsql/client";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Migration } from "./migrations.ts";

const LEDGER = `CREATE TABLE IF NOT EXISTS securix_migrations (
  name TEXT PRIMARY KEY NOT NULL,
  checksum TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

function checksum(sql: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(sql)));
}

function statements(sql: string): string[] {
  return sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
}

/** Names of migrations not applied yet. */
export async function pendingMigrations(
  client: Client,
  migrations: readonly Migration[],
): Promise<string[]> {
  await client.execute(LEDGER);
  const rows = await client.execute("SELECT name FROM securix_migrations");
  const done = new Set(rows.rows.map((r) => String(r.name)));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}

/**
 * Applies pending migrations, each in its own write transaction together with
 * its ledger row, so a failure leaves the database at the previous migration.
 * The ledger is re-read inside the transaction: two processes starting at
 * once apply each migration once.
 */
export async function migrate(
  client: Client,
  migrations: readonly Migration[],
  now: () => number = Date.now,
): Promise<string[]> {
  const applied: string[] = [];
  for (const name of await pendingMigrations(client, migrations)) {
    const migration = migrations.find((m) => m.name === name)!;
    const tx = await client.transaction("write");
    try {
      const seen = await tx.execute({
        sql: "SELECT 1 FROM securix_migrations WHERE name = ?",
        args: [name],
      });
      if (seen.rows.length === 0) {
        for (const sql of statements(migration.sql)) await tx.execute(sql);
        await tx.execute({
          sql: "INSERT INTO securix_migrations (name, checksum, applied_at) VALUES (?, ?, ?)",
          args: [name, checksum(migration.sql), now()],
        });
        applied.push(name);
      }
      await tx.commit();
    } catch (error) {
      await tx.rollback();
      throw new Error(`Cannot apply migration ${name}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      tx.close();
    }
  }
  return applied;
}
