import assert from "node:assert/strict";
import { type Client, createClient } from "@libsql/client";
import { migrate, pendingMigrations, readLedgerRows, refuseUnexpectedDatabase } from "./migrate.ts";
import { type Migration, MIGRATIONS } from "./migrations.ts";
import { migrationChecksum } from "./migration_checksum.ts";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { loadConfig } from "../config/load.ts";

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
    // serve's first start creates the data directory and key (migrate creates neither); then
    // two processes race on the same new, empty file, as init or serve leave it.
    await loadConfig({ cwd: dir, env: () => undefined, create: true });
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

/** A fresh database file, removed after `fn`. */
async function withDb(fn: (client: Client) => Promise<void>): Promise<void> {
  const { url, dir } = await tempDb();
  const client = createClient({ url });
  try {
    await fn(client);
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** What releases up to 0.1.0 recorded: the SHA-256 of the text as embedded. */
function rawChecksum(sql: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(sql)));
}

async function setChecksum(client: Client, name: string, checksum: string): Promise<void> {
  const updated = await client.execute({
    sql: "UPDATE securix_migrations SET checksum = ? WHERE name = ?",
    args: [checksum, name],
  });
  assert.equal(updated.rowsAffected, 1, name);
}

function changed(name: RegExp) {
  return (e: Error & { code?: string; status?: number }) => {
    assert.equal(e.code, "SX-MIGRATION-CHANGED");
    assert.equal(e.status, 503);
    assert.match(e.message, name);
    return true;
  };
}

Deno.test("migrations: a migration edited after it was applied is refused with SX-MIGRATION-CHANGED, before anything is applied", async () => {
  await withDb(async (client) => {
    const at = MIGRATIONS.findIndex((m) => m.name === "0016_key_roles");
    await migrate(client, MIGRATIONS.slice(0, at), () => 1, "0.0.9");
    await setChecksum(client, "0005_audit_until_index", "0".repeat(64));
    for (
      const run of [
        () => migrate(client, MIGRATIONS, Date.now, "0.1.0"),
        () => migrate(client, MIGRATIONS),
        () => refuseUnexpectedDatabase(client, MIGRATIONS, "0.1.0"),
      ]
    ) {
      await assert.rejects(run(), changed(/^Migration 0005_audit_until_index was applied/));
    }
    await assert.rejects(
      refuseUnexpectedDatabase(client, MIGRATIONS, "0.1.0"),
      (e: Error & { details?: Record<string, unknown> }) => {
        assert.match(e.message, /from a different text than the one this securix 0\.1\.0 carries/);
        assert.match(e.message, /recorded checksum 000000000000…, expected [0-9a-f]{12}…/);
        assert.match(e.message, /migrations were edited/);
        assert.match(e.message, /restore the pre-migrate-\*\.sxbak backup/);
        assert.deepEqual(e.details, {
          migration: "0005_audit_until_index",
          recorded: "0".repeat(64),
          expected: migrationChecksum(MIGRATIONS[5].sql),
        });
        return true;
      },
    );
    assert.equal((await pendingMigrations(client, MIGRATIONS))[0], "0016_key_roles");

    // The binary's own text edited (a modified build) reads the same from the other side.
    const edited = MIGRATIONS.map((m): Migration =>
      m.name === "0010_approvals" ? { ...m, sql: m.sql + "\n-- tuned\n" } : m
    );
    await setChecksum(client, "0005_audit_until_index", migrationChecksum(MIGRATIONS[5].sql));
    await assert.rejects(migrate(client, edited), changed(/^Migration 0010_approvals was/));
    assert.deepEqual(await migrate(client, MIGRATIONS), MIGRATIONS.slice(at).map((m) => m.name));
  });
});

Deno.test("migrations: several edited migrations are all named", async () => {
  await withDb(async (client) => {
    await migrate(client, MIGRATIONS);
    await setChecksum(client, "0001_consent_flows", "a".repeat(64));
    await setChecksum(client, "0012_gateway", "b".repeat(64));
    await assert.rejects(
      migrate(client, MIGRATIONS),
      changed(/^Migration 0001_consent_flows \(also 0012_gateway\) was applied/),
    );
  });
});

Deno.test("migrations: an untouched database starts again; a newer one is SX-DB-NEWER even when a migration also differs", async () => {
  await withDb(async (client) => {
    assert.equal((await migrate(client, MIGRATIONS, Date.now, "0.1.0")).length, MIGRATIONS.length);
    await refuseUnexpectedDatabase(client, MIGRATIONS, "0.1.0");
    assert.deepEqual(await migrate(client, MIGRATIONS, Date.now, "0.1.0"), []);

    await client.execute(
      "INSERT INTO securix_migrations (name, checksum, applied_at, securix_version) " +
        "VALUES ('0099_future', 'x', 1, '9.9.9')",
    );
    await setChecksum(client, "0003_webhooks", "c".repeat(64));
    await assert.rejects(
      refuseUnexpectedDatabase(client, MIGRATIONS, "0.1.0"),
      (e: Error & { code?: string }) => e.code === "SX-DB-NEWER",
    );
  });
});

/** 0009_anomalies as it was on main from f2ca433 to edabed2: the key as a unique index. */
function original0009(): string {
  const today = MIGRATIONS.find((m) => m.name === "0009_anomalies")!.sql;
  const text = today
    .replace(
      "`count` integer NOT NULL,\n\tPRIMARY KEY(`detector`, `subject`, `bucket`)\n",
      "`count` integer NOT NULL\n",
    )
    .replace(
      "--> statement-breakpoint\nCREATE INDEX `anomaly_counts_bucket_idx`",
      "--> statement-breakpoint\nCREATE UNIQUE INDEX `anomaly_counts_key_idx` ON `anomaly_counts` " +
        "(`detector`,`subject`,`bucket`);--> statement-breakpoint\nCREATE INDEX `anomaly_counts_bucket_idx`",
    );
  // git show 2fe7943:migrations/0009_anomalies.sql | sha256sum
  assert.equal(
    rawChecksum(text),
    "6554b72e79f31c4fa819dfe2591ae1fe3c9b7fe42003fb00b5f7021ac3efa3db",
  );
  return text;
}

Deno.test("migrations: databases from older builds start: raw checksums, CRLF builds, 0009's first text", async () => {
  await withDb(async (client) => {
    // As an older securix left it, with 0009 from its first text (and the counters used).
    const upTo0009 = MIGRATIONS.findIndex((m) => m.name === "0009_anomalies");
    const older = [
      ...MIGRATIONS.slice(0, upTo0009),
      { name: "0009_anomalies", sql: original0009() },
    ];
    await migrate(client, older, () => 1, "0.0.9");
    for (const m of older) await setChecksum(client, m.name, rawChecksum(m.sql));
    // A build from a CRLF checkout (git on Windows) recorded its CRLF text.
    await setChecksum(
      client,
      "0002_proxy_agents_audit",
      rawChecksum(MIGRATIONS[2].sql.replace(/\n/g, "\r\n")),
    );
    await client.execute(
      "INSERT INTO anomaly_counts (detector, subject, bucket, count) VALUES ('d', 's', 1, 1) " +
        "ON CONFLICT (detector, subject, bucket) DO UPDATE SET count = count + excluded.count",
    );

    await refuseUnexpectedDatabase(client, MIGRATIONS, "0.1.0");
    assert.deepEqual(
      await migrate(client, MIGRATIONS, Date.now, "0.1.0"),
      MIGRATIONS.slice(upTo0009 + 1).map((m) => m.name),
    );
    assert.deepEqual(await migrate(client, MIGRATIONS, Date.now, "0.1.0"), []);
    // This binary built from a CRLF checkout accepts the LF release's database too.
    const crlf = MIGRATIONS.map((m) => ({ ...m, sql: m.sql.replace(/\n/g, "\r\n") }));
    assert.deepEqual(await migrate(client, crlf, Date.now, "0.1.0"), []);
    // ... and records what the LF release would.
    const row = await client.execute({
      sql: "SELECT checksum FROM securix_migrations WHERE name = ?",
      args: [MIGRATIONS.at(-1)!.name],
    });
    assert.equal(row.rows[0].checksum, rawChecksum(MIGRATIONS.at(-1)!.sql));
  });
});

Deno.test("migrations: only 0009's first text is tolerated, and only as 0009", async () => {
  await withDb(async (client) => {
    await migrate(client, MIGRATIONS);
    await setChecksum(client, "0010_approvals", rawChecksum(original0009()));
    await assert.rejects(migrate(client, MIGRATIONS), changed(/^Migration 0010_approvals/));
  });
});

Deno.test("migrations: a migration applied under another name is refused, naming both", async () => {
  await withDb(async (client) => {
    await migrate(client, MIGRATIONS.slice(0, 7));
    // The h-operator branch numbered it 0007 before the merge renumbered it 0006.
    await client.execute(
      "UPDATE securix_migrations SET name = '0007_connection_refreshable' " +
        "WHERE name = '0006_connection_refreshable'",
    );
    for (
      const run of [
        () => migrate(client, MIGRATIONS),
        () => refuseUnexpectedDatabase(client, MIGRATIONS, "0.1.0"),
      ]
    ) {
      await assert.rejects(
        run(),
        changed(
          /^Migration 0006_connection_refreshable of this securix( 0\.1\.0)? was applied to this database under another name, 0007_connection_refreshable: .*renamed/,
        ),
      );
    }
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE name = 'approvals'");
    assert.equal(tables.rows.length, 0, "nothing applied");
  });
});

Deno.test("migrations: the ledger is read without creating it; old ledgers have no versions", async () => {
  const { url, dir } = await tempDb();
  const client = createClient({ url });
  try {
    assert.deepEqual(await readLedgerRows(client), []);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'");
    assert.equal(tables.rows.length, 0, "nothing created");
    await client.execute(
      "CREATE TABLE securix_migrations (name TEXT PRIMARY KEY NOT NULL, checksum TEXT NOT NULL, " +
        "applied_at INTEGER NOT NULL)",
    );
    await client.execute("INSERT INTO securix_migrations VALUES ('0000_a', 'x', 1)");
    assert.deepEqual(await readLedgerRows(client), [
      { name: "0000_a", checksum: "x", securixVersion: null },
    ]);
    const columns = await client.execute("PRAGMA table_info(securix_migrations)");
    assert.equal(columns.rows.length, 3, "the version column is not added");
    await client.execute("DELETE FROM securix_migrations");
    await migrate(client, MIGRATIONS, () => 1, "0.1.0");
    const rows = await readLedgerRows(client);
    assert.equal(rows.length, MIGRATIONS.length);
    assert.equal(rows[0].securixVersion, "0.1.0");
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrations: 0018 revokes the MCP URLs of agents removed earlier, not of registered agents", async () => {
  await withDb(async (client) => {
    const upTo0018 = MIGRATIONS.findIndex((m) => m.name === "0018_revoke_orphaned_mcp_grants");
    await migrate(client, MIGRATIONS.slice(0, upTo0018), () => 1, "0.1.0");
    await client.execute("INSERT INTO apps (id, name, created_at) VALUES ('app_1', 'demo', 1)");
    await client.execute(
      "INSERT INTO agents (id, app_id, agent_id, created_at) VALUES ('agt_1', 'app_1', 'kept', 1)",
    );
    for (
      const [id, agent, revokedAt] of [["mcp_1", "kept", null], ["mcp_2", "gone", null], [
        "mcp_3",
        "gone",
        5,
      ]] as const
    ) {
      await client.execute({
        sql: "INSERT INTO mcp_grants (id, app_id, entity_id, agent_id, digest, created_at, " +
          "expires_at, revoked_at) VALUES (?, 'app_1', 'alice', ?, ?, 1, 9999999999999, ?)",
        args: [id, agent, `d_${id}`, revokedAt],
      });
    }
    const before = Date.now();
    await migrate(client, MIGRATIONS, Date.now, "0.1.0");
    const { rows } = await client.execute("SELECT id, revoked_at FROM mcp_grants ORDER BY id");
    assert.equal(rows[0].revoked_at, null, "a registered agent's URL stays");
    assert.ok(Number(rows[1].revoked_at) >= Math.floor(before / 1000) * 1000, "revoked now");
    assert.equal(rows[2].revoked_at, 5, "an earlier revocation is kept");
  });
});

Deno.test("migrations: 0019 ends the pending and approved approvals of agents removed earlier, as removal does; others stay", async () => {
  await withDb(async (client) => {
    const at = MIGRATIONS.findIndex((m) => m.name === "0019_end_orphaned_approvals");
    assert.ok(at > 0);
    await migrate(client, MIGRATIONS.slice(0, at), () => 1, "0.1.0");
    for (const app of ["app_1", "app_2"]) {
      await client.execute({
        sql: "INSERT INTO apps (id, name, created_at) VALUES (?, ?, 1)",
        args: [app, `demo-${app}`],
      });
    }
    // "kept" registered all along; "readded" removed and registered again at 500.
    for (const [id, agent, createdAt] of [["agt_1", "kept", 1], ["agt_2", "readded", 500]]) {
      await client.execute({
        sql: "INSERT INTO agents (id, app_id, agent_id, created_at) VALUES (?, 'app_1', ?, ?)",
        args: [id, agent, createdAt],
      });
    }
    const later = 9_999_999_999_999;
    const rows: [string, string, string, string, number, number][] = [
      // id, app, agent, status, created_at, expires_at
      ["apr_1", "app_1", "kept", "pending", 10, later],
      ["apr_2", "app_1", "gone", "pending", 10, later],
      ["apr_3", "app_1", "gone", "approved", 10, later],
      ["apr_4", "app_1", "gone", "denied", 10, later],
      ["apr_5", "app_1", "gone", "used", 10, later],
      ["apr_6", "app_1", "gone", "approved", 10, 5],
      ["apr_7", "app_1", "readded", "approved", 100, later],
      ["apr_8", "app_1", "readded", "pending", 600, later],
      ["apr_9", "app_2", "kept", "approved", 10, later],
    ];
    for (const [id, app, agent, status, createdAt, expiresAt] of rows) {
      await client.execute({
        sql: "INSERT INTO approvals (id, app_id, agent_id, entity_id, connection_id, provider, " +
          "operation, rule, method, path, request_hash, summary, status, created_at, expires_at, " +
          "approve_digest, deny_digest) VALUES (?, ?, ?, 'alice', 'con_1', 'gmail', " +
          "'gmail.users.messages.send', 'send_ok', 'POST', '/send', 'h', '{}', ?, ?, ?, 'a', 'd')",
        args: [id, app, agent, status, createdAt, expiresAt],
      });
    }
    const before = Math.floor(Date.now() / 1000) * 1000;
    assert.equal((await migrate(client, MIGRATIONS, Date.now, "0.1.0"))[0], MIGRATIONS[at].name);
    const after = Date.now();
    const { rows: found } = await client.execute(
      "SELECT id, status, expires_at FROM approvals ORDER BY id",
    );
    const state = Object.fromEntries(
      found.map((r) => [String(r.id), { status: r.status, expiresAt: Number(r.expires_at) }]),
    );
    for (const id of ["apr_2", "apr_3", "apr_7", "apr_9"]) {
      const ended = state[id].expiresAt;
      assert.ok(ended >= before && ended <= after, `${id} ended now: ${ended}`);
    }
    // Ended the way removal ends them: the status stays, so they read expired.
    assert.deepEqual(
      ["apr_2", "apr_3", "apr_7", "apr_9"].map((id) => state[id].status),
      ["pending", "approved", "approved", "approved"],
    );
    assert.equal(state.apr_1.expiresAt, later, "a registered agent's approval stays");
    assert.equal(state.apr_8.expiresAt, later, "made by the agent registered again: stays");
    assert.equal(state.apr_4.expiresAt, later, "a decided denial is not touched");
    assert.equal(state.apr_5.expiresAt, later, "a used approval is not touched");
    assert.equal(state.apr_6.expiresAt, 5, "an approval already expired keeps its time");
  });
});
