import type { Client } from "@libsql/client";
import type { Migration } from "./migrations.ts";
import {
  type AppliedMigration,
  changedMigrationError,
  compareLedger,
  type LedgerFindings,
} from "./ledger_check.ts";
import { migrationChecksum } from "./migration_checksum.ts";
import { SecurixError } from "../errors/securix_error.ts";

const LEDGER = `CREATE TABLE IF NOT EXISTS securix_migrations (
  name TEXT PRIMARY KEY NOT NULL,
  checksum TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/**
 * Which securix version applied each migration, so a binary older than the
 * database can name the version it needs. A column of the ledger (not a
 * drizzle migration): older binaries keep inserting their rows, leaving it null.
 */
async function ensureLedger(client: Client): Promise<void> {
  await client.execute(LEDGER);
  const columns = await client.execute("PRAGMA table_info(securix_migrations)");
  if (columns.rows.some((c) => c.name === "securix_version")) return;
  try {
    await client.execute("ALTER TABLE securix_migrations ADD COLUMN securix_version TEXT");
  } catch (error) {
    // Another process starting at the same moment added it first.
    if (!/duplicate column/i.test((error as Error).message)) throw error;
  }
}

async function readLedger(client: Client): Promise<AppliedMigration[]> {
  await ensureLedger(client);
  return await readLedgerRows(client);
}

/**
 * The ledger's rows as they are, creating and altering nothing (doctor):
 * none when there is no ledger, no versions from a ledger older than the column.
 */
export async function readLedgerRows(client: Client): Promise<AppliedMigration[]> {
  const columns = await client.execute("PRAGMA table_info(securix_migrations)");
  if (columns.rows.length === 0) return [];
  const versioned = columns.rows.some((c) => c.name === "securix_version");
  const rows = await client.execute(
    `SELECT name, checksum${
      versioned ? ", securix_version" : ""
    } FROM securix_migrations ORDER BY name`,
  );
  return rows.rows.map((r) => ({
    name: String(r.name),
    checksum: String(r.checksum),
    securixVersion: r.securix_version == null ? null : String(r.securix_version),
  }));
}

/**
 * A database with migrations this binary does not know was upgraded by a
 * newer securix, and running an older one on it could corrupt it.
 */
function newerDatabaseError(
  findings: LedgerFindings,
  migrations: readonly Migration[],
  binaryVersion: string,
): SecurixError | null {
  const newest = findings.unknown.at(-1);
  if (!newest) return null;
  const needed = newest.securixVersion ? `securix ${newest.securixVersion}` : "a newer securix";
  const ours = migrations.at(-1)?.name ?? "none";
  return new SecurixError(
    "SX-DB-NEWER",
    `This database was upgraded by a newer securix: it has migration ${newest.name}, but this ` +
      `securix ${binaryVersion} knows migrations up to ${ours}. Run ${needed} (or newer) on it; ` +
      "to go back to this version, restore the pre-migrate-*.sxbak backup taken before the " +
      "upgrade (securix restore).",
    { status: 503, details: { database: newest.name, binary: ours } },
  );
}

/**
 * Refuses a database whose applied migrations are not this binary's: ones it
 * does not know (SX-DB-NEWER, checked first: the fix is another version), or
 * its own renamed or edited since they were applied (SX-MIGRATION-CHANGED).
 */
export async function refuseUnexpectedDatabase(
  client: Client,
  migrations: readonly Migration[],
  binaryVersion: string,
): Promise<void> {
  const error = unexpectedDatabaseError(await readLedger(client), migrations, binaryVersion);
  if (error) throw error;
}

/**
 * Why a database is refused, in the order the fixes go: a newer database
 * first (only when this binary's `version` is known), then changed migrations.
 */
function unexpectedDatabaseError(
  applied: AppliedMigration[],
  migrations: readonly Migration[],
  version: string | null,
): SecurixError | null {
  const findings = compareLedger(applied, migrations);
  return (version === null ? null : newerDatabaseError(findings, migrations, version)) ??
    changedMigrationError(findings, version);
}

function statements(sql: string): string[] {
  return sql.split("--> statement-breakpoint").map((s) => s.trim()).filter(Boolean);
}

/** Names of migrations not applied yet. */
export async function pendingMigrations(
  client: Client,
  migrations: readonly Migration[],
): Promise<string[]> {
  await ensureLedger(client);
  const rows = await client.execute("SELECT name FROM securix_migrations");
  const done = new Set(rows.rows.map((r) => String(r.name)));
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}

/**
 * Applies pending migrations, each in its own write transaction together with
 * its ledger row, so a failure leaves the database at the previous migration.
 * The ledger is re-read inside the transaction: two processes starting at
 * once apply each migration once. `version` (this binary's) is recorded with
 * each. A migration applied from another text or under another name is
 * refused first; given `version`, so is a database newer than the binary.
 */
export async function migrate(
  client: Client,
  migrations: readonly Migration[],
  now: () => number = Date.now,
  version: string | null = null,
): Promise<string[]> {
  const refused = unexpectedDatabaseError(await readLedger(client), migrations, version);
  if (refused) throw refused;
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
          sql: "INSERT INTO securix_migrations (name, checksum, applied_at, securix_version) " +
            "VALUES (?, ?, ?, ?)",
          args: [name, migrationChecksum(migration.sql), now(), version],
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
