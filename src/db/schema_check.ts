import type { Client } from "@libsql/client";
import { MIGRATIONS } from "./migrations.ts";
import * as schema from "./schema.ts";
import { type DriftAllowances, schemaDrift } from "./schema_drift.ts";

/**
 * The only places where a migrated database and schema.ts may differ. There
 * are no FTS or other virtual tables (their shadow tables would be listed here).
 */
export const SCHEMA_ALLOWANCES: DriftAllowances = {
  undeclaredTables: {
    securix_migrations: "the migration runner's own ledger (migrate.ts), never queried by drizzle",
  },
  withoutRowid: {
    activity_hourly: "0017 made it WITHOUT ROWID (the key is the row); drizzle cannot declare it",
  },
};

/**
 * How the database the migrations built differs from the schema this binary
 * queries by (schema.ts): one line each, none when they agree. Read-only.
 */
export function runningSchemaDrift(client: Client): Promise<string[]> {
  return schemaDrift(client, schema, SCHEMA_ALLOWANCES);
}

/**
 * The statement of this binary's migrations that creates index `name`, and
 * the migration it is in: what puts a dropped index back.
 */
export function indexStatement(name: string): { migration: string; sql: string } | null {
  const quoted = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `CREATE\\s+(?:UNIQUE\\s+)?INDEX\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?[\`"]?${quoted}[\`"]?\\s[^;]*`,
    "i",
  );
  // The last migration to create it wins: a later one may have rebuilt it differently.
  for (const migration of [...MIGRATIONS].reverse()) {
    const found = pattern.exec(migration.sql);
    if (found) {
      return { migration: migration.name, sql: `${found[0].replace(/\s+/g, " ").trim()};` };
    }
  }
  return null;
}
