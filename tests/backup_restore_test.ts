/**
 * Acceptance for issue 17's backup bullet: `securix backup` (another
 * process) snapshots a served appliance while real device-flow consents run
 * against oidc-provider and agents proxy calls with the connections they
 * made; `securix restore` puts it on a second data directory; every table is
 * compared row by row with the source as it was just before the snapshot
 * began, `audit verify` passes, and `serve` on the restored directory proxies
 * with a restored connection.
 */
import assert from "node:assert/strict";
import { stringify as toToml } from "smol-toml";
import { runCliProcess, startServeProcess } from "./helpers/process.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { resolveConfig } from "../src/config/load.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { freePort } from "./helpers/process.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { readStoredCredential } from "../src/connections/stored_credential.ts";
import {
  consentEnv,
  deviceConsent,
  proxiedAccount,
  readAllRows,
  type Row,
  tableNames,
  type TableRows,
} from "./helpers/backup_env.ts";

/**
 * Columns the load may change in a row that already exists: a restored row
 * may differ from the source's pre-snapshot version only there (and only
 * where the source changed too), caught at the version the snapshot saw.
 * Tables absent here are append-only under this load (audit_log among them):
 * their restored rows must equal the source's exactly.
 */
const MUTABLE: Record<string, string[]> = {
  api_keys: ["last_used_at"],
  meta: ["value"],
  sqlite_sequence: ["seq"],
  auth_sessions: [
    "status",
    "reason",
    "providers",
    "sxc_failures",
    "device_code_used_at",
    "last_polled_at",
    "browser_binding",
    "ended_at",
  ],
  oauth_states: ["used_at"],
  connections: [
    "status",
    "scopes",
    "account",
    "credential_id",
    "credential_expires_at",
    "refreshable",
    "session_id",
    "version",
    "updated_at",
  ],
  vault_records: ["key_id", "ciphertext", "version", "updated_at"],
  rate_counters: ["window_start", "count"],
  refresh_leases: ["owner", "expires_at"],
  // The security engine's shared counts: added to and pruned while serving.
  anomaly_counts: ["count"],
  rate_limit_buckets: ["tokens", "at", "expires_at"],
  rate_limit_leases: ["tokens", "until"],
  // The hourly activity rollup: an hour's row counts on while calls come in.
  activity_hourly: ["calls", "last_at"],
};

/** Rows the load deletes: a PKCE verifier once its callback used it, counters, leases. */
function deletable(table: string, row: Row): boolean {
  return (table === "vault_records" && row.purpose === "pkce-verifier") ||
    table === "rate_counters" || table === "refresh_leases" || table === "anomaly_counts" ||
    table === "rate_limit_buckets" || table === "rate_limit_leases";
}

function differing(a: Row, b: Row): string[] {
  const columns = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...columns].filter((c) => JSON.stringify(a[c]) !== JSON.stringify(b[c]));
}

interface TableCount {
  /** Rows in the source just before the snapshot began. */
  before: number;
  restored: number;
  /** Pre-snapshot rows restored unchanged. */
  same: number;
  /** Pre-snapshot rows the load updated meanwhile, restored at a later version. */
  updated: number;
  /** Pre-snapshot rows the load deleted before the snapshot read them. */
  gone: number;
  /** Rows written while the backup ran (restored at their final or an earlier version). */
  added: number;
  /** Rows written while the backup ran or after it that the snapshot did not see. */
  later: number;
}

/**
 * Every pre-snapshot row is restored identical, or at a later version whose
 * changes the source also made (mutable columns only), or was deleted in the
 * source too (deletable rows only); every other restored row is one the
 * source has (or deleted, deletable rows only), differing only in mutable columns.
 */
function compareTable(
  table: string,
  before: Map<string, Row>,
  after: Map<string, Row>,
  restored: Map<string, Row>,
): TableCount {
  const count: TableCount = {
    before: before.size,
    restored: restored.size,
    same: 0,
    updated: 0,
    gone: 0,
    added: 0,
    later: 0,
  };
  const mutable = new Set(MUTABLE[table] ?? []);
  for (const [key, was] of before) {
    const got = restored.get(key);
    const now = after.get(key);
    if (!got) {
      assert.ok(
        !now && deletable(table, was),
        `${table} ${key}: in the source before the snapshot, not restored`,
      );
      count.gone++;
      continue;
    }
    const changed = differing(got, was);
    if (changed.length === 0) {
      count.same++;
      continue;
    }
    for (const column of changed) {
      assert.ok(
        mutable.has(column),
        `${table} ${key}: ${column} restored as ${JSON.stringify(got[column])}, was ${
          JSON.stringify(was[column])
        }`,
      );
      assert.ok(
        !now || JSON.stringify(now[column]) !== JSON.stringify(was[column]),
        `${table} ${key}: ${column} restored as ${
          JSON.stringify(got[column])
        } but the source never changed it`,
      );
    }
    count.updated++;
  }
  for (const [key, got] of restored) {
    if (before.has(key)) continue;
    const now = after.get(key);
    if (!now) assert.ok(deletable(table, got), `${table} ${key}: restored, never in the source`);
    else {
      for (const column of differing(got, now)) {
        assert.ok(
          mutable.has(column),
          `${table} ${key}: ${column} restored as ${JSON.stringify(got[column])}, source has ${
            JSON.stringify(now[column])
          }`,
        );
      }
    }
    count.added++;
  }
  for (const key of after.keys()) if (!before.has(key) && !restored.has(key)) count.later++;
  return count;
}

function compareAll(before: TableRows, after: TableRows, restored: TableRows) {
  const counts: Record<string, TableCount> = {};
  for (const [table, rows] of before) {
    counts[table] = compareTable(table, rows, after.get(table)!, restored.get(table)!);
  }
  return counts;
}

const CONSENT_WORKERS = 4;
const PROXY_WORKERS = 4;
/** Bounds on every loop, whatever the backup's duration. */
const MAX_CONSENTS_PER_WORKER = 200;
const MAX_CALLS_PER_WORKER = 5_000;

Deno.test("backup under real consents and proxied calls: restore matches the pre-snapshot source table by table; audit verify; serve proxies with a restored connection", async () => {
  const env = await consentEnv();
  const second = await Deno.makeTempDir({ prefix: "securix-restored-" });
  let restoredServer: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  let loading = true;
  const load: Promise<void>[] = [];
  try {
    const { appliance, temp } = env;
    // Connections made before the load: the first proxy targets, and what the restored serve uses.
    const connected: string[] = [];
    for (let i = 0; i < 2; i++) {
      await deviceConsent(env, `warm-${i}`);
      connected.push(`warm-${i}`);
    }
    const completions: { entity: string; at: number }[] = [];
    for (let w = 0; w < CONSENT_WORKERS; w++) {
      load.push((async () => {
        for (let i = 0; loading && i < MAX_CONSENTS_PER_WORKER; i++) {
          const entity = `user-${w}-${i}`;
          await deviceConsent(env, entity);
          completions.push({ entity, at: performance.now() });
          connected.push(entity);
        }
      })());
    }
    const calls: number[] = [];
    for (let w = 0; w < PROXY_WORKERS; w++) {
      load.push((async () => {
        for (let i = 0; loading && i < MAX_CALLS_PER_WORKER; i++) {
          const entity = connected[(i * PROXY_WORKERS + w) % connected.length];
          assert.equal(await proxiedAccount(env.publicUrl, env.apiKey, entity), entity);
          calls.push(performance.now());
        }
      })());
    }
    await new Promise((r) => setTimeout(r, 600));

    // The source just before the snapshot begins, every table, one consistent read.
    const connectedBefore = [...connected];
    const before = await readAllRows(appliance.database.client);
    const file = `${temp.dir}/under-load.sxbak`;
    const started = performance.now();
    const backup = await runCliProcess(["--config", temp.configPath, "backup", file, "--json"], {
      cwd: temp.dir,
    });
    const ended = performance.now();
    assert.equal(backup.code, 0, backup.stderr);
    const made = JSON.parse(backup.stdout.trim().split("\n").at(-1)!);
    // A consent that starts after the backup ended: the restored copy must not have it.
    await deviceConsent(env, "after-backup");
    loading = false;
    await Promise.all(load);
    await env.stop(); // flushes the audit buffer
    const after = await readAllRows(appliance.database.client);
    const during = (t: number) => t >= started && t <= ended;
    const consentsDuring = completions.filter((c) => during(c.at)).length;
    const callsDuring = calls.filter(during).length;
    assert.ok(consentsDuring > 0, "consents completed while the backup ran");
    assert.ok(callsDuring > 0, "proxied calls answered while the backup ran");

    // Restore on a second data directory with the same master key, through the CLI.
    const restoredPort = freePort();
    const restoredConfig = {
      server: {
        public_url: `http://127.0.0.1:${restoredPort}`,
        base_domain: "localhost",
        trust_proxy: true,
      },
      providers: env.providers,
      database: { url: "file:data/securix.db" },
      vault: { master_key: "file:master.key" },
    };
    await Deno.writeTextFile(`${second}/master.key`, temp.masterKeyHex + "\n", { mode: 0o600 });
    await Deno.writeTextFile(`${second}/securix.toml`, toToml(restoredConfig));
    const restore = await runCliProcess(
      ["--config", `${second}/securix.toml`, "restore", file],
      { cwd: second },
    );
    assert.equal(restore.code, 0, restore.stdout + restore.stderr);
    const lines = restore.stdout.trim().split("\n");
    assert.match(lines[1], /^Key: the configured master key matches/);
    assert.ok(
      lines.some((l) => /^Audit chain intact: \d+ records verified$/.test(l)),
      restore.stdout,
    );
    assert.match(lines.at(-2)!, /^Database: .* in place \(mode 0600\)$/);
    const verify = await runCliProcess(["--config", `${second}/securix.toml`, "audit", "verify"], {
      cwd: second,
    });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /Audit chain intact/);

    const config = await resolveConfig(restoredConfig, {
      source: null,
      baseDir: second,
      env: () => undefined,
    });
    const copy = await openAppliance(config);
    let counts: Record<string, TableCount>;
    let credentials = 0;
    let midFlow = 0;
    try {
      const client = copy.database.client;
      assert.equal((await client.execute("PRAGMA integrity_check")).rows[0][0], "ok");
      assert.equal((await client.execute("PRAGMA foreign_key_check")).rows.length, 0);
      assert.deepEqual(await tableNames(client), [...before.keys()]);
      const restored = await readAllRows(client);
      counts = compareAll(before, after, restored);
      // The append-only audit log comes back as a prefix of the source's: no hole, no stray row.
      const seqs = [...restored.get("audit_log")!.values()].map((r) => Number(r.seq));
      assert.deepEqual(seqs.sort((a, b) => a - b), seqs.map((_, i) => i + 1));

      // One point in time: a completed session has its active connection, and every
      // connection's credential is in the vault, decrypts, and is the source's.
      const connections = [...restored.get("connections")!.values()];
      for (const session of restored.get("auth_sessions")!.values()) {
        const its = connections.filter((c) => c.session_id === session.id);
        if (session.status === "completed") {
          assert.ok(
            its.some((c) => c.status === "active"),
            `session ${session.id} has its connection`,
          );
        } else {
          assert.equal(its.filter((c) => c.status === "active").length, 0);
          if (
            after.get("auth_sessions")!.get(JSON.stringify([session.id]))!.status === "completed"
          ) {
            midFlow++;
          }
        }
      }
      for (const c of connections) {
        if (c.status !== "active") continue;
        const ours = await readStoredCredential(copy.vault, {
          credentialId: String(c.credential_id),
        });
        const theirs = await readStoredCredential(appliance.vault, {
          credentialId: String(c.credential_id),
        });
        assert.ok(ours, `connection ${c.id}: credential restored and decrypted`);
        assert.deepEqual(ours.credential, theirs!.credential);
        credentials++;
      }
      // Everything connected before the snapshot began is there, active; the consent after it is not.
      const active = new Set(
        connections.filter((c) => c.status === "active").map((c) => c.entity_id),
      );
      for (const entity of connectedBefore) assert.ok(active.has(entity), `${entity} restored`);
      assert.equal(active.has("after-backup"), false);
    } finally {
      copy.close();
    }

    // `serve` on the restored directory proxies with a restored connection: the vault
    // credential decrypted there is the token the provider issued to that account.
    restoredServer = await startServeProcess({
      cwd: second,
      args: ["--config", `${second}/securix.toml`],
      port: restoredPort,
    });
    for (const entity of ["warm-0", connectedBefore.at(-1)!]) {
      assert.equal(await proxiedAccount(restoredServer.baseUrl, env.apiKey, entity), entity);
    }
    const missing = await fetch(
      `${restoredServer.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`,
      {
        headers: {
          "securix-api-key": env.apiKey,
          "securix-entity-id": "after-backup",
          "securix-agent-id": "agent-1",
        },
      },
    );
    assert.equal(missing.status, 401);
    assert.equal((await missing.json()).error.code, "SX-NOT-CONNECTED");
    assert.equal(await restoredServer.stop(), 0);
    restoredServer = null;

    const rows = Object.entries(counts).map(([t, c]) =>
      `${t} ${c.before}: ${c.same} same, ${c.updated} updated, ${c.gone} gone; ` +
      `+${c.added} added (${c.later} later not seen) = ${c.restored}`
    );
    console.log(
      `backup under load: ${made.bytes} bytes, snapshot ${made.ms} ms in-process, ` +
        `${Math.round(ended - started)} ms with process start; meanwhile ${consentsDuring} ` +
        `device consents completed and ${callsDuring} proxied calls answered ` +
        `(${completions.length} consents, ${calls.length} calls in all); ` +
        `${midFlow} sessions restored mid-flow, ${credentials} credentials decrypted\n` +
        `rows per table (before the snapshot → restored): ${rows.join("; ")}`,
    );
    // The backup itself is in the source's audit trail.
    const records = await listRecords(appliance.database.db, { kinds: "admin.backup" });
    assert.equal(records.length, 1);
    assert.equal(records[0].kind, "admin.backup.created");
    assert.equal((records[0].data as { file: string }).file, file);
  } finally {
    loading = false;
    await Promise.allSettled(load);
    await restoredServer?.stop("SIGKILL");
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
    // The file is renamed into place a moment before the schedule records its success.
    let value = 0;
    while (Date.now() < deadline && value === 0) {
      const metrics = await (await server.runtime.metrics.render()).text();
      value = Number(metrics.match(/^securix_backup_last_success_timestamp (\S+)$/m)?.[1] ?? 0);
      if (value === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(Math.abs(value - Date.now() / 1000) < 60, `metric ${value}`);
    await server.stop();
    const records = await listRecords(temp.appliance.database.db, { kinds: "admin.backup" });
    assert.deepEqual(records.map((r) => r.kind), ["admin.backup.created"]);
  } finally {
    await temp.cleanup();
  }
});
