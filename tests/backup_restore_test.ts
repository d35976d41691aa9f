/**
 * Acceptance for issue 17's backup bullet: `securix backup` (another
 * process) snapshots a served appliance while proxied requests and admin
 * writes (apps, keys, agents, connections with vault credentials) go on;
 * `securix restore` puts it on a second data directory; every table is
 * compared with the source and `audit verify` passes on the restored copy.
 */
import assert from "node:assert/strict";
import { stringify as toToml } from "smol-toml";
import type { Client } from "@libsql/client";
import { served } from "./helpers/served_gmail.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { runCliProcess } from "./helpers/process.ts";
import { openSecondDatabase, openTempAppliance } from "./helpers/temp_appliance.ts";
import { resolveConfig } from "../src/config/load.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { freePort } from "./helpers/process.ts";
import { listRecords } from "../src/audit/read_records.ts";

type Row = Record<string, unknown>;

async function tables(client: Client): Promise<string[]> {
  const rows = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  return rows.rows.map((r) => String(r.name));
}

async function rowsOf(client: Client, table: string): Promise<Map<string, Row>> {
  const rows = await client.execute(`SELECT rowid AS __rowid, * FROM "${table}"`);
  const out = new Map<string, Row>();
  for (const row of rows.rows) {
    const copy: Row = {};
    for (const column of rows.columns) {
      const value = row[column];
      copy[column] = value instanceof ArrayBuffer ? Array.from(new Uint8Array(value)) : value;
    }
    out.set(String(copy.__rowid), copy);
  }
  return out;
}

/**
 * Columns the load may change after the snapshot moment (last use of a key,
 * the audit chain head); every other column of a restored row must equal the
 * source's.
 */
const CHANGES_AFTER_SNAPSHOT = new Set(["api_keys.last_used_at", "meta.value"]);

Deno.test("backup under load: restore on a second data directory matches the source table by table; audit verify passes", async () => {
  const env = await served(false);
  const second = await Deno.makeTempDir({ prefix: "securix-restored-" });
  let loading = true;
  try {
    const { appliance, temp } = env;
    // Load: 8 callers proxying through the appliance, and admin writes alongside.
    let proxied = 0;
    const callers = Array.from({ length: 8 }, async () => {
      while (loading) {
        const res = await fetch(`${env.base}/proxy/gmail/gmail/v1/users/me/messages`, {
          headers: env.good,
        });
        await res.body?.cancel();
        assert.equal(res.status, 200);
        proxied++;
      }
    });
    const appIds: string[] = [];
    const connectionIds: string[] = [];
    const writer = (async () => {
      for (let i = 0; loading; i++) {
        const { app } = await seedApp(appliance, { name: `load-${i}` });
        appIds.push(app.id);
        const c = await seedConnection(appliance, {
          id: `conn_load_${i}`,
          appId: app.id,
          entityId: `user-${i}`,
          provider: "gmail",
          accessToken: `token-${i}`,
          refreshToken: `refresh-${i}`,
        });
        connectionIds.push(c.id);
        // Admin writes hold the event loop while they commit: leave the callers room.
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await env.runtime.audit?.flush?.();
    // Written (and committed) before the backup starts: all of it must come back.
    const before = { apps: [...appIds], connections: [...connectionIds] };
    const auditBefore = await appliance.database.client.execute(
      "SELECT coalesce(max(seq), 0) AS seq FROM audit_log",
    );
    const file = `${temp.dir}/under-load.sxbak`;
    const proxiedBefore = proxied;
    const started = performance.now();
    const backup = await runCliProcess(["--config", temp.configPath, "backup", file, "--json"], {
      cwd: temp.dir,
    });
    const backupMs = performance.now() - started;
    assert.equal(backup.code, 0, backup.stderr);
    const made = JSON.parse(backup.stdout.trim().split("\n").at(-1)!);
    const proxiedDuring = proxied - proxiedBefore;
    const writtenDuring = appIds.length - before.apps.length;
    loading = false;
    await Promise.all([...callers, writer]);
    await env.stop(); // flushes the audit buffer
    console.log(
      `backup under load: ${made.bytes} bytes, snapshot+write ${made.ms} ms in-process, ` +
        `${Math.round(backupMs)} ms with process start; meanwhile ${proxiedDuring} proxied ` +
        `requests and ${writtenDuring} apps+keys+agents+connections written`,
    );
    assert.ok(proxiedDuring > 0 && writtenDuring > 0, "load ran during the backup");

    // Restore on a second data directory with the same master key, through the CLI.
    await Deno.writeTextFile(`${second}/master.key`, temp.masterKeyHex + "\n", { mode: 0o600 });
    await Deno.writeTextFile(
      `${second}/securix.toml`,
      toToml({
        database: { url: "file:data/securix.db" },
        vault: { master_key: "file:master.key" },
      }),
    );
    const restore = await runCliProcess(
      ["--config", `${second}/securix.toml`, "restore", file],
      { cwd: second },
    );
    assert.equal(restore.code, 0, restore.stdout + restore.stderr);
    const lines = restore.stdout.trim().split("\n");
    assert.match(lines[1], /^Key: the configured master key matches/);
    assert.match(lines.at(-2)!, /^Audit chain intact: \d+ records verified$/);
    const verify = await runCliProcess(["--config", `${second}/securix.toml`, "audit", "verify"], {
      cwd: second,
    });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /Audit chain intact/);

    const config = await resolveConfig({
      database: { url: "file:data/securix.db" },
      vault: { master_key: "file:master.key" },
    }, { source: null, baseDir: second, env: () => undefined });
    const restored = await openSecondDatabase(config);
    const source = appliance.database.client;
    try {
      const integrity = await restored.client.execute("PRAGMA integrity_check");
      assert.equal(integrity.rows[0][0], "ok");
      assert.equal((await restored.client.execute("PRAGMA foreign_key_check")).rows.length, 0);
      const names = await tables(source);
      assert.deepEqual(await tables(restored.client), names);
      for (const table of names) {
        const ours = await rowsOf(source, table);
        const theirs = await rowsOf(restored.client, table);
        assert.ok(theirs.size <= ours.size, `${table}: ${theirs.size} restored ≤ ${ours.size}`);
        for (const [rowid, row] of theirs) {
          const original = ours.get(rowid);
          assert.ok(original, `${table} row ${rowid} exists in the source`);
          for (const [column, value] of Object.entries(row)) {
            if (CHANGES_AFTER_SNAPSHOT.has(`${table}.${column}`)) continue;
            assert.deepEqual(value, original[column], `${table} row ${rowid} column ${column}`);
          }
        }
      }
      // Everything committed before the backup started is there.
      const apps = new Set(
        (await restored.client.execute("SELECT id FROM apps")).rows.map((r) => r.id),
      );
      for (const id of before.apps) assert.ok(apps.has(id), `app ${id} restored`);
      const conns = new Set(
        (await restored.client.execute("SELECT id FROM connections")).rows.map((r) => r.id),
      );
      for (const id of before.connections) assert.ok(conns.has(id), `connection ${id} restored`);
      const seq = await restored.client.execute(
        "SELECT coalesce(max(seq), 0) AS seq FROM audit_log",
      );
      assert.ok(Number(seq.rows[0].seq) >= Number(auditBefore.rows[0].seq), "audit rows kept");
    } finally {
      restored.close();
    }
    // The backup itself is in the source's audit trail.
    const records = await listRecords(appliance.database.db, { kinds: "admin.backup" });
    assert.equal(records.length, 1);
    assert.equal(records[0].kind, "admin.backup.created");
    assert.equal((records[0].data as { file: string }).file, file);
  } finally {
    loading = false;
    await env.close();
    await Deno.remove(second, { recursive: true });
  }
});

Deno.test("backup schedule in serve: a backup at start, the metric, the audit record", async () => {
  const temp = await openTempAppliance({
    raw: { backup: { schedule: "daily", keep: 3 } },
  });
  try {
    const server = await serveRuntime(temp.appliance, freePort());
    const dir = `${temp.dir}/backups`;
    const deadline = Date.now() + 10_000;
    let found: string[] = [];
    while (Date.now() < deadline && found.length === 0) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        found = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".sxbak"));
      } catch { /* not yet */ }
    }
    assert.equal(found.length, 1, "one backup at start");
    assert.match(found[0], /^securix-\d{8}T\d{6}Z\.sxbak$/);
    const metrics = await (await server.runtime.metrics.render()).text();
    const value = Number(metrics.match(/^securix_backup_last_success_timestamp (\S+)$/m)?.[1]);
    assert.ok(Math.abs(value - Date.now() / 1000) < 60, `metric ${value}`);
    await server.stop();
    const records = await listRecords(temp.appliance.database.db, { kinds: "admin.backup" });
    assert.deepEqual(records.map((r) => r.kind), ["admin.backup.created"]);
  } finally {
    await temp.cleanup();
  }
});
