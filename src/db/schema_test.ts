import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { type Database, openDatabase } from "./client.ts";
import { migrate } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.ts";
import * as schema from "./schema.ts";
import { SCHEMA_ALLOWANCES } from "./schema_check.ts";
import { type DriftAllowances, schemaDrift } from "./schema_drift.ts";

const ALLOWANCES = SCHEMA_ALLOWANCES;

/** For the hand-built databases below, which have neither allowed table. */
const NONE: DriftAllowances = { undeclaredTables: {}, withoutRowid: {} };

async function withDatabase(fn: (database: Database) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-schema-" });
  const database = await openDatabase({ url: `file:${dir}/s.db`, create: true });
  try {
    await fn(database);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("schema: every migration applied gives exactly the tables, columns and indexes of schema.ts", async () => {
  await withDatabase(async (database) => {
    await migrate(database.client, MIGRATIONS);
    assert.deepEqual(await schemaDrift(database.client, schema, ALLOWANCES), []);
  });
});

Deno.test("schema: the comparison names each kind of drift", async () => {
  await withDatabase(async ({ client }) => {
    for (
      const statement of [
        "CREATE TABLE parent (id text PRIMARY KEY NOT NULL)",
        `CREATE TABLE t (
          id text PRIMARY KEY NOT NULL,
          n integer DEFAULT 1 NOT NULL,
          r real,
          s text DEFAULT 'a' NOT NULL,
          p text REFERENCES parent(id) ON DELETE cascade,
          extra text
        )`,
        "CREATE INDEX t_n_idx ON t (n, s)",
        "CREATE UNIQUE INDEX t_active_idx ON t (p) WHERE s = 'on'",
        "CREATE INDEX t_stray_idx ON t (r)",
        "CREATE TABLE stray (x)",
        "CREATE TABLE w (k text PRIMARY KEY NOT NULL) WITHOUT ROWID",
        "CREATE TABLE activity_hourly (k text PRIMARY KEY NOT NULL)",
      ]
    ) await client.execute(statement);
    const parent = sqliteTable("parent", { id: text("id").primaryKey() });
    const t = sqliteTable("t", {
      id: integer("id").primaryKey(), // affinity
      n: integer("n"), // NOT NULL and default
      r: real("r").notNull(),
      s: text("s").notNull().default("b"), // default value
      p: text("p").references(() => parent.id), // on delete
      missing: text("missing"),
    }, (c) => [
      index("t_n_idx").on(c.n), // columns
      uniqueIndex("t_active_idx").on(c.p).where(sql`${c.s} = 'off'`), // where
      index("t_gone_idx").on(c.s),
    ]);
    const absent = sqliteTable("absent", { id: text("id").primaryKey() });
    const w = sqliteTable("w", { k: text("k").primaryKey() });
    const activity = sqliteTable("activity_hourly", { k: text("k").primaryKey() });
    const drift = await schemaDrift(client, { parent, t, absent, w, activity }, ALLOWANCES);
    const expected = [
      /^allowance securix_migrations: no such table in the database$/,
      /^table stray: in the database, not declared/,
      /^table absent: declared in the schema, missing/,
      /^t\.id: affinity TEXT in the database, INTEGER in the schema/,
      /^t\.n: NOT NULL is true in the database, false/,
      /^t\.n: default 1 in the database, none/,
      /^t\.r: NOT NULL is false in the database, true/,
      /^t\.s: default 'a' in the database, 'b' in the schema/,
      /^t\.missing: declared in the schema, missing/,
      /^t\.extra: in the database, not declared/,
      /^t: index t_n_idx is .*"n","s".* in the database, .*"n"\].* in the schema/,
      /^t: index t_active_idx is .*s='on'.* in the database, .*s='off'.* in the schema/,
      /^t: index t_gone_idx declared in the schema, missing/,
      /^t: index t_stray_idx in the database, not declared/,
      /^t: foreign keys \[.*on delete cascade\] in the database, \[.*on delete no action\]/,
      /^table w: WITHOUT ROWID in the database, not allowed/,
      /^table activity_hourly: allowed WITHOUT ROWID, has a rowid/,
    ];
    for (const pattern of expected) {
      assert.ok(drift.some((line) => pattern.test(line)), `${pattern} in:\n${drift.join("\n")}`);
    }
    assert.equal(drift.length, expected.length, drift.join("\n"));
  });
});

Deno.test("schema: a primary key or a CHECK constraint the schema lacks is drift", async () => {
  await withDatabase(async ({ client }) => {
    await client.execute(
      "CREATE TABLE k (a text NOT NULL, b text NOT NULL CHECK (b <> ''), PRIMARY KEY (a, b))",
    );
    const k = sqliteTable("k", { a: text("a").primaryKey(), b: text("b").notNull() });
    const drift = await schemaDrift(client, { k }, NONE);
    assert.deepEqual(drift, [
      "k: primary key (a,b) in the database, (a) in the schema",
      "k: CHECK (b<>'') in the database, () in the schema",
    ]);
  });
});

Deno.test("schema: an allowance for a table the database does not have is reported as stale", async () => {
  await withDatabase(async ({ client }) => {
    assert.deepEqual(await schemaDrift(client, {}, ALLOWANCES), [
      "allowance securix_migrations: no such table in the database",
      "allowance activity_hourly: no such table in the database",
    ]);
  });
});

Deno.test("schema: a CHECK that says something else than the schema's is drift, however it is spelt", async () => {
  await withDatabase(async ({ client }) => {
    await client.execute(
      "CREATE TABLE r (role text NOT NULL CHECK (`role` IN ('backend', 'agent', 'admin')))",
    );
    const widened = sqliteTable(
      "r",
      { role: text("role").notNull() },
      (t) => [check("r_role", sql`${t.role} IN ('backend', 'agent')`)],
    );
    assert.deepEqual(
      await schemaDrift(client, { r: widened }, NONE),
      [
        "r: CHECK (role in('backend','agent','admin')) in the database, (role in('backend','agent')) in the schema",
      ],
    );
    const same = sqliteTable(
      "r",
      { role: text("role").notNull() },
      (t) => [check("r_role", sql`${t.role}  in ('backend','agent','admin')`)],
    );
    assert.deepEqual(
      await schemaDrift(client, { r: same }, NONE),
      [],
    );
  });
});
