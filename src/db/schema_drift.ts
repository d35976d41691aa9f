import type { Client } from "@libsql/client";
import { is, SQL } from "drizzle-orm";
import {
  getTableConfig,
  type SQLiteColumn,
  SQLiteSyncDialect,
  SQLiteTable,
} from "drizzle-orm/sqlite-core";

/**
 * What drizzle cannot (or need not) declare, each with the reason, so the
 * comparison stays strict everywhere else.
 */
export interface DriftAllowances {
  /** Tables a migrated database holds that no schema table declares. */
  undeclaredTables: Readonly<Record<string, string>>;
  /** Tables created WITHOUT ROWID by a migration: drizzle has no way to say so. */
  withoutRowid: Readonly<Record<string, string>>;
}

interface IndexShape {
  unique: boolean;
  /** Column names, or a normalised expression. */
  columns: string[];
  where: string | null;
}

const dialect = new SQLiteSyncDialect();

/**
 * Differences between a migrated database and the drizzle tables in `schema`
 * (one line each; empty when they agree): tables, columns (affinity, NOT NULL,
 * default, primary key), indexes, foreign keys, CHECK constraints and
 * AUTOINCREMENT. Queries are built from the schema but run on what the SQL
 * migrations made, and drizzle-kit diffs against the schema: either side
 * drifting breaks one of them.
 */
export async function schemaDrift(
  client: Client,
  schema: Record<string, unknown>,
  allowances: DriftAllowances,
): Promise<string[]> {
  const drift: string[] = [];
  const tables = Object.values(schema).filter((v): v is SQLiteTable => is(v, SQLiteTable));
  const master = await client.execute(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
  );
  const dbTables = new Map<string, string>();
  for (const row of master.rows) {
    const type = String(row.type);
    if (type === "table") dbTables.set(String(row.name), String(row.sql ?? ""));
    else if (type === "view" || type === "trigger") {
      drift.push(`${type} ${row.name}: in the database, not declared in the schema`);
    }
  }
  // An exception for a table that is gone is a stale one: said, so the list stays true.
  for (
    const name of [
      ...Object.keys(allowances.undeclaredTables),
      ...Object.keys(allowances.withoutRowid),
    ]
  ) {
    if (!dbTables.has(name)) drift.push(`allowance ${name}: no such table in the database`);
  }
  const declared = new Set(tables.map((t) => getTableConfig(t).name));
  for (const name of dbTables.keys()) {
    if (!declared.has(name) && !(name in allowances.undeclaredTables)) {
      drift.push(`table ${name}: in the database, not declared in the schema`);
    }
  }
  for (const [name, sql] of dbTables) {
    const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(sql);
    if (withoutRowid !== (name in allowances.withoutRowid)) {
      drift.push(
        withoutRowid
          ? `table ${name}: WITHOUT ROWID in the database, not allowed to be`
          : `table ${name}: allowed WITHOUT ROWID, has a rowid in the database`,
      );
    }
  }
  for (const table of tables) {
    const name = getTableConfig(table).name;
    const sql = dbTables.get(name);
    if (sql === undefined) {
      drift.push(`table ${name}: declared in the schema, missing from the database`);
      continue;
    }
    drift.push(...await tableDrift(client, table, sql));
  }
  return drift;
}

async function tableDrift(client: Client, table: SQLiteTable, tableSql: string): Promise<string[]> {
  const config = getTableConfig(table);
  const t = config.name;
  const drift: string[] = [];
  const info = await client.execute({ sql: "SELECT * FROM pragma_table_info(?)", args: [t] });
  const dbColumns = new Map(info.rows.map((r) => [String(r.name), r]));
  for (const column of config.columns) {
    const row = dbColumns.get(column.name);
    const at = `${t}.${column.name}`;
    if (!row) {
      drift.push(`${at}: declared in the schema, missing from the database`);
      continue;
    }
    const wantAffinity = affinity(column.getSQLType());
    const hasAffinity = affinity(String(row.type ?? ""));
    if (wantAffinity !== hasAffinity) {
      drift.push(`${at}: affinity ${hasAffinity} in the database, ${wantAffinity} in the schema`);
    }
    const notNull = Number(row.notnull) === 1;
    if (notNull !== column.notNull) {
      drift.push(`${at}: NOT NULL is ${notNull} in the database, ${column.notNull} in the schema`);
    }
    const want = schemaDefault(column);
    const has = row.dflt_value === null ? null : unwrap(String(row.dflt_value));
    if (want !== has) {
      drift.push(
        `${at}: default ${has ?? "none"} in the database, ${want ?? "none"} in the schema`,
      );
    }
  }
  for (const name of dbColumns.keys()) {
    if (!config.columns.some((c) => c.name === name)) {
      drift.push(`${t}.${name}: in the database, not declared in the schema`);
    }
  }

  const dbKey = info.rows.filter((r) => Number(r.pk) > 0)
    .sort((a, b) => Number(a.pk) - Number(b.pk)).map((r) => String(r.name));
  const schemaKey = [
    ...config.columns.filter((c) => c.primary).map((c) => c.name),
    ...config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name)),
  ];
  if (dbKey.join(",") !== schemaKey.join(",")) {
    drift.push(`${t}: primary key (${dbKey}) in the database, (${schemaKey}) in the schema`);
  }
  const autoIncrement = config.columns.some((c) =>
    (c as SQLiteColumn & { autoIncrement?: boolean }).autoIncrement === true
  );
  if (autoIncrement !== /\bAUTOINCREMENT\b/i.test(tableSql)) {
    drift.push(`${t}: AUTOINCREMENT differs (schema ${autoIncrement})`);
  }
  // Compared by what they check, not only how many: a widened IN list is drift too.
  const dbChecks = checkBodies(tableSql).sort();
  const schemaChecks = config.checks.map((c) => normalise(dialect.sqlToQuery(c.value).sql)).sort();
  if (dbChecks.join("\n") !== schemaChecks.join("\n")) {
    drift.push(
      `${t}: CHECK (${dbChecks.join("; ")}) in the database, (${
        schemaChecks.join("; ")
      }) in the schema`,
    );
  }

  drift.push(...await indexDrift(client, config));
  drift.push(...await foreignKeyDrift(client, config));
  return drift;
}

async function indexDrift(
  client: Client,
  config: ReturnType<typeof getTableConfig>,
): Promise<string[]> {
  const t = config.name;
  const want = new Map<string, IndexShape>();
  for (const index of config.indexes) {
    want.set(index.config.name, {
      unique: index.config.unique,
      columns: index.config.columns.map((c) =>
        is(c, SQL) ? normalise(dialect.sqlToQuery(c, "indexes").sql) : normalise(c.name)
      ),
      where: index.config.where ? normalise(dialect.sqlToQuery(index.config.where).sql) : null,
    });
  }
  // drizzle-kit writes `.unique()` columns and unique() constraints as unique indexes.
  for (const column of config.columns) {
    if (column.isUnique && column.uniqueName) {
      want.set(column.uniqueName, { unique: true, columns: [column.name], where: null });
    }
  }
  for (const unique of config.uniqueConstraints) {
    const name = unique.getName();
    if (name) {
      want.set(name, { unique: true, columns: unique.columns.map((c) => c.name), where: null });
    }
  }

  const have = new Map<string, IndexShape>();
  const list = await client.execute({ sql: "SELECT * FROM pragma_index_list(?)", args: [t] });
  for (const row of list.rows) {
    if (row.origin === "pk") continue;
    const name = String(row.name);
    const master = await client.execute({
      sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
      args: [name],
    });
    const sql = master.rows[0]?.sql;
    if (typeof sql === "string") {
      have.set(name, { unique: Number(row.unique) === 1, ...indexParts(sql) });
    } else {
      // An inline UNIQUE constraint's automatic index: no SQL of its own.
      const info = await client.execute({
        sql: "SELECT name FROM pragma_index_info(?) ORDER BY seqno",
        args: [name],
      });
      have.set(name, {
        unique: true,
        columns: info.rows.map((r) => String(r.name)),
        where: null,
      });
    }
  }

  const drift: string[] = [];
  for (const [name, shape] of want) {
    const found = have.get(name);
    if (!found) drift.push(`${t}: index ${name} declared in the schema, missing from the database`);
    else if (JSON.stringify(found) !== JSON.stringify(shape)) {
      drift.push(
        `${t}: index ${name} is ${JSON.stringify(found)} in the database, ` +
          `${JSON.stringify(shape)} in the schema`,
      );
    }
  }
  for (const name of have.keys()) {
    if (!want.has(name)) {
      drift.push(`${t}: index ${name} in the database, not declared in the schema`);
    }
  }
  return drift;
}

async function foreignKeyDrift(
  client: Client,
  config: ReturnType<typeof getTableConfig>,
): Promise<string[]> {
  const t = config.name;
  const rows = await client.execute({
    sql: "SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq",
    args: [t],
  });
  const byId = new Map<number, typeof rows.rows>();
  for (const row of rows.rows) {
    const id = Number(row.id);
    byId.set(id, [...(byId.get(id) ?? []), row]);
  }
  const have = [...byId.values()].map((parts) =>
    foreignKey(
      parts.map((p) => String(p.from)),
      String(parts[0].table),
      parts.map((p) => String(p.to)),
      String(parts[0].on_update),
      String(parts[0].on_delete),
    )
  ).sort();
  const want = config.foreignKeys.map((fk) => {
    const ref = fk.reference();
    return foreignKey(
      ref.columns.map((c) => c.name),
      getTableConfig(ref.foreignTable).name,
      ref.foreignColumns.map((c) => c.name),
      fk.onUpdate ?? "no action",
      fk.onDelete ?? "no action",
    );
  }).sort();
  if (have.join("; ") === want.join("; ")) return [];
  return [
    `${t}: foreign keys [${have.join("; ")}] in the database, [${want.join("; ")}] in the schema`,
  ];
}

function foreignKey(
  from: string[],
  table: string,
  to: string[],
  onUpdate: string,
  onDelete: string,
): string {
  return `(${from}) -> ${table}(${to}) on update ${onUpdate.toLowerCase()} on delete ${onDelete.toLowerCase()}`;
}

/** SQLite's column affinity rules (datatype3.html §3.1), applied to a declared type. */
export function affinity(declared: string): string {
  const type = declared.toUpperCase();
  if (type.includes("INT")) return "INTEGER";
  if (/CHAR|CLOB|TEXT/.test(type)) return "TEXT";
  if (type === "" || type.includes("BLOB")) return "BLOB";
  if (/REAL|FLOA|DOUB/.test(type)) return "REAL";
  return "NUMERIC";
}

/** A column's SQL default as SQLite reports it in `dflt_value`, or null for none. */
function schemaDefault(column: SQLiteColumn): string | null {
  const value = column.default;
  if (value === undefined) return null;
  if (is(value, SQL)) return unwrap(dialect.sqlToQuery(value).sql);
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `'${text.replaceAll("'", "''")}'`;
}

function unwrap(sql: string): string {
  const trimmed = sql.trim();
  return trimmed.startsWith("(") && trimmed.endsWith(")") ? unwrap(trimmed.slice(1, -1)) : trimmed;
}

/** Quotes, table qualifiers, case and spacing dropped: the same expression compares equal. */
function normalise(sql: string): string {
  return sql.replace(/["`[\]]/g, "").replace(/\b[A-Za-z_]\w*\.(?=[A-Za-z_])/g, "").replace(
    /\s+/g,
    " ",
  )
    .replace(/\s*([(),=<>])\s*/g, "$1").trim().toLowerCase();
}

/** The expressions of every CHECK constraint in a CREATE TABLE statement, normalised. */
function checkBodies(sql: string): string[] {
  const bodies: string[] = [];
  for (const match of sql.matchAll(/\bCHECK\s*\(/gi)) {
    const open = match.index! + match[0].length - 1;
    let depth = 0;
    for (let i = open; i < sql.length; i++) {
      if (sql[i] === "(") depth++;
      else if (sql[i] === ")" && --depth === 0) {
        bodies.push(normalise(sql.slice(open + 1, i)));
        break;
      }
    }
  }
  return bodies;
}

/** The key columns (or expressions) and WHERE clause of a CREATE INDEX statement. */
function indexParts(sql: string): { columns: string[]; where: string | null } {
  const on = sql.search(/\sON\s/i);
  const open = sql.indexOf("(", on);
  const columns: string[] = [];
  let depth = 0;
  let start = open + 1;
  let close = -1;
  for (let i = open; i < sql.length && close < 0; i++) {
    const ch = sql[i];
    if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) close = i;
    else if (ch === "," && depth === 1) {
      columns.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  columns.push(sql.slice(start, close));
  const rest = sql.slice(close + 1).trim();
  const where = rest.match(/^WHERE\s+([\s\S]*?);?$/i);
  return { columns: columns.map(normalise), where: where ? normalise(where[1]) : null };
}
