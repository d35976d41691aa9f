import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { migrate, pendingMigrations } from "./migrate.ts";
import { MIGRATIONS } from "./migrations.ts";

const MIGRATIONS_DIR = new URL("../../migrations/", import.meta.url);

Deno.test("migrations: every SQL file under migrations/ is embedded, in order", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(MIGRATIONS_DIR)) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(entry.name.replace(/\.sql$/, ""));
  }
  files.sort();
  assert.deepEqual(MIGRATIONS.map((m) => m.name), files);
  for (const m of MIGRATIONS) {
    assert.equal(m.sql, await Deno.readTextFile(new URL(`${m.name}.sql`, MIGRATIONS_DIR)));
  }
});

async function tempDb(): Promise<{ url: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "securix-migrate-" });
  return { url: `file:${dir}/t.db`, dir };
}

Deno.test("migrations: apply once, record each, then nothing is pending", async () => {
  const { url, dir } = await tempDb();
  const client = createClient({ url });
  try {
    assert.deepEqual(await migrate(client, MIGRATIONS, () => 42), MIGRATIONS.map((m) => m.name));
    assert.deepEqual(await pendingMigrations(client, MIGRATIONS), []);
    assert.deepEqual(await migrate(client, MIGRATIONS), []);
    const ledger = await client.execute("SELECT name, applied_at FROM securix_migrations");
    assert.equal(ledger.rows.length, MIGRATIONS.length);
    assert.equal(ledger.rows[0].applied_at, 42);
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrations: a failing migration rolls back entirely and is not recorded", async () => {
  const { url, dir } = await tempDb();
  const client = createClient({ url });
  try {
    const broken = [
      ...MIGRATIONS,
      { name: "9999_broken", sql: "CREATE TABLE t_ok (x);\n--> statement-breakpoint\nNOT SQL" },
    ];
    await assert.rejects(migrate(client, broken), /Cannot apply migration 9999_broken/);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE name = 't_ok'");
    assert.equal(tables.rows.length, 0, "first statement rolled back");
    assert.deepEqual(await pendingMigrations(client, broken), ["9999_broken"]);
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrations: two processes migrating one file at once apply each migration once", async () => {
  const { dir } = await tempDb();
  try {
    const main = new URL("../../main.ts", import.meta.url).pathname;
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--config", config, main, "migrate"],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
    // The first start creates the key (migrate creates no database); then two processes
    // race on the same new, empty file, as init or serve leave it.
    await run();
    await Deno.writeFile(`${dir}/securix-data/securix.db`, new Uint8Array(), { mode: 0o600 });
    const outputs = await Promise.all([run(), run()]);
    const text = outputs.map((o) => new TextDecoder().decode(o.stdout)).join("\n");
    assert.deepEqual(outputs.map((o) => o.code), [0, 0], text);
    // Only the "Applied:" lines: a process may also name the pre-migration backup it took.
    const applied = text.split("\n").filter((line) => line.startsWith("Applied: ")).join("\n");
    for (const m of MIGRATIONS) {
      assert.equal(applied.split(m.name).length - 1, 1, `${m.name} applied exactly once:\n${text}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrations: 0016 makes every existing API key a backend key; no other role can be stored", async () => {
  const { url, dir } = await tempDb();
  const client = createClient({ url });
  try {
    const at = MIGRATIONS.findIndex((m) => m.name === "0016_key_roles");
    assert.ok(at > 0);
    await migrate(client, MIGRATIONS.slice(0, at));
    await client.execute(
      "INSERT INTO apps (id, name, origins, created_at) VALUES ('app_a', 'demo', '[]', 1)",
    );
    for (const id of ["key_live", "key_revoked"]) {
      await client.execute({
        sql:
          "INSERT INTO api_keys (id, app_id, digest, hint, created_at, revoked_at) VALUES (?, 'app_a', ?, 'sx_live_abcd…', 1, ?)",
        args: [id, `digest-${id}`, id === "key_revoked" ? 2 : null],
      });
    }
    assert.deepEqual((await migrate(client, MIGRATIONS))[0], "0016_key_roles");
    const rows = await client.execute("SELECT id, role FROM api_keys ORDER BY id");
    assert.deepEqual(rows.rows.map((r) => [r.id, r.role]), [
      ["key_live", "backend"],
      ["key_revoked", "backend"],
    ]);
    const insert = (role: string) =>
      client.execute({
        sql:
          "INSERT INTO api_keys (id, app_id, digest, hint, created_at, role) VALUES (?, 'app_a', ?, 'h', 1, ?)",
        args: [`key_${role}`, `digest-${role}`, role],
      });
    await insert("agent");
    for (const role of ["admin", "Agent", ""]) {
      await assert.rejects(insert(role), /CHECK constraint failed/, role);
    }
    await assert.rejects(
      client.execute("UPDATE api_keys SET role = 'owner' WHERE id = 'key_live'"),
      /CHECK constraint failed/,
    );
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});
