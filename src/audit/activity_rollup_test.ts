import assert from "node:assert/strict";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { hourOf } from "./activity_rollup.ts";
import { appendAudit, appendAuditBatch } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";
import { readHead } from "./chain_meta.ts";
import { pruneAudit } from "./prune.ts";
import { listRecords } from "./read_records.ts";
import { verifyChain } from "./verify_chain.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;
// Recent (migration 0017 rebuilds the last 366 days by the clock), on an hour.
const T0 = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;

async function withDb(
  fn: (database: Database, dir: string) => Promise<void>,
  migrations = MIGRATIONS,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-rollup-" });
  const database = await openDatabase({ url: `file:${dir}/a.db`, create: true });
  await migrate(database.client, migrations);
  try {
    await fn(database, dir);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

type Row = Record<string, unknown>;

/** The rollup as sorted plain rows. */
async function rollup(database: Database): Promise<Row[]> {
  const rs = await database.client.execute(
    "SELECT app_id, entity_id, hour, provider, agent_id, operation, decision, via, calls, " +
      "last_at FROM activity_hourly ORDER BY app_id, entity_id, hour, provider, agent_id, " +
      "operation, decision, via",
  );
  return rs.rows.map((r) => ({ ...r }));
}

/** What the rollup must hold, computed by decoding every record of the log. */
async function rollupFromLog(database: Database): Promise<Row[]> {
  const groups = new Map<string, Row>();
  for (const r of await listRecords(database.db, { kinds: "proxy.request" })) {
    if (!r.appId || !r.entityId || !r.provider) continue;
    const d = r.data;
    const row: Row = {
      app_id: r.appId,
      entity_id: r.entityId,
      hour: hourOf(r.at),
      provider: r.provider,
      agent_id: r.agentId ?? "",
      operation: typeof d.operation === "string" ? d.operation : "",
      decision: typeof d.decision === "string" ? d.decision : "",
      via: typeof d.via === "string" ? d.via : "",
    };
    const key = JSON.stringify(row);
    const had = groups.get(key);
    if (had) {
      had.calls = (had.calls as number) + 1;
      had.last_at = Math.max(had.last_at as number, r.at);
    } else groups.set(key, { ...row, calls: 1, last_at: r.at });
  }
  const cmp = (a: Row, b: Row) => {
    for (const k of Object.keys(a)) {
      if (a[k]! < b[k]!) return -1;
      if (a[k]! > b[k]!) return 1;
    }
    return 0;
  };
  return [...groups.values()].sort(cmp);
}

/** A varied stream: 4 entities, 3 agents (one missing), operations, decisions, via, 6 hours. */
function call(i: number, over: Partial<AuditEvent> = {}): AuditEvent {
  const via = i % 11 === 0 ? "portal" : i % 13 === 0 ? "mcp" : undefined;
  return {
    kind: "proxy.request",
    // Deterministic but unordered times across six hours.
    at: T0 + ((i * 7_919_113) % (6 * HOUR)),
    appId: i % 17 === 0 ? "app_2" : "app_1",
    agentId: i % 10 === 0 ? null : `agent-${i % 3}`,
    entityId: `user-${i % 4}`,
    provider: i % 5 === 0 ? "drive" : "gmail",
    data: {
      decision: i % 9 === 0 ? "denied" : i % 7 === 0 ? "hidden" : "allowed",
      operation: i % 5 === 0
        ? "drive.files.list"
        : `gmail.users.messages.${i % 2 ? "get" : "list"}`,
      path: `/secret/path/${i}`,
      ...(via ? { via } : {}),
    },
    ...over,
  };
}

Deno.test("activity rollup: equals the aggregates of a scan of the log (writer batches and direct appends)", async () => {
  await withDb(async (database) => {
    const writer = new AuditWriter({ database, intervalMs: 60_000, maxBatch: 700 });
    for (let i = 0; i < 5_000; i++) {
      writer.record(call(i));
      if (i % 1_000 === 999) await writer.flush();
      if (i % 500 === 0) {
        // A state change's own records, and one proxied call appended directly.
        await database.transaction((tx) =>
          appendAudit(tx, [
            { kind: "session.created", at: T0, appId: "app_1", entityId: "user-1", data: {} },
            call(100_000 + i),
          ])
        );
      }
    }
    // Records no reader can place (no app, no entity) are in the log, not the rollup.
    writer.record(call(1, { appId: null }));
    writer.record(call(2, { entityId: null }));
    // Text SQLite cannot store as given is counted as stored (U+FFFD), and ids that would
    // run together when joined stay apart.
    writer.record(call(3, { entityId: "a\0b\ud800" }));
    writer.record(call(3, { appId: "app_1\0a", entityId: "b\ud800" }));
    writer.record(call(3, { appId: "app_1", entityId: "a\0b\ud800", agentId: "agent-0\0x" }));
    await writer.stop();
    const expected = await rollupFromLog(database);
    const got = await rollup(database);
    assert.ok(got.length > 100, `${got.length} groups`);
    assert.deepEqual(got, expected);
    assert.equal(
      got.reduce((n, r) => n + (r.calls as number), 0),
      5_000 + 10 + 3,
      "every placeable proxied call counted once",
    );
    assert.equal(got.filter((r) => String(r.entity_id).includes("\uFFFD")).length, 3);
    // Nothing of a path or content reaches the rollup.
    assert.ok(!JSON.stringify(got).includes("/secret/path"));
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 5_025, pruned: 0 });
  });
});

Deno.test("activity rollup: a batch that fails inside its transaction leaves neither records nor counts", async () => {
  await withDb(async (database) => {
    await appendAuditBatch(database, [call(1), call(2), call(3)]);
    const head = await readHead(database.db);
    const before = await rollup(database);
    // The rollup's write fails after the batch's records went in: all of it must roll back.
    await database.client.execute(
      "CREATE TRIGGER boom BEFORE INSERT ON activity_hourly WHEN NEW.entity_id = 'boom' " +
        "BEGIN SELECT RAISE(ABORT, 'rollup refused'); END",
    );
    const writer = new AuditWriter({ database, intervalMs: 60_000, onError: () => {} });
    for (let i = 4; i < 50; i++) writer.record(call(i));
    writer.record(call(50, { entityId: "boom" }));
    await writer.flush();
    assert.equal(writer.pending, 47, "the batch is kept for a retry");
    assert.deepEqual(await readHead(database.db), head);
    assert.equal((await listRecords(database.db)).length, 3);
    assert.deepEqual(await rollup(database), before);
    // The same through a state change's transaction (appendAudit).
    await assert.rejects(
      database.transaction((tx) => appendAudit(tx, [call(51, { entityId: "boom" })])),
      /Failed query: INSERT INTO activity_hourly/,
    );
    assert.equal((await listRecords(database.db)).length, 3);
    // Once the cause is gone the retried batch lands in both, once.
    await database.client.execute("DROP TRIGGER boom");
    await writer.stop();
    assert.equal((await listRecords(database.db)).length, 50);
    assert.deepEqual(await rollup(database), await rollupFromLog(database));
  });
});

Deno.test("activity rollup: retention prunes the hours that ended before the cutoff, with the log", async () => {
  await withDb(async (database) => {
    const hours = [0, 1, 2, 5].map((h) => T0 + h * HOUR + 30 * 60_000);
    await appendAuditBatch(database, hours.map((at, i) => call(i, { at })));
    const cutoff = T0 + 2 * HOUR + 10 * 60_000; // inside hour 2
    await pruneAudit(database, cutoff, { actor: "serve" }, cutoff);
    // Hours 0 and 1 ended before the cutoff; hour 2 is only partly older, so it stays whole.
    assert.deepEqual(
      [...new Set((await rollup(database)).map((r) => (Number(r.hour) - T0) / HOUR))],
      [2, 5],
    );
    // A later prune with nothing left in the log still drops rollup hours past the cutoff.
    await pruneAudit(database, T0 + 4 * HOUR, { actor: "serve" }, T0 + 4 * HOUR);
    assert.deepEqual((await rollup(database)).map((r) => (Number(r.hour) - T0) / HOUR), [5]);
    // The prune itself is not a proxied call: nothing else appeared.
    assert.equal((await rollup(database)).length, 1);
  });
});

Deno.test("activity rollup: migration 0017 rebuilds the rollup from a log written before it (rows and packs)", async () => {
  await withDb(async (source) => {
    // The log as the previous release leaves it: packs from the writer and single rows.
    for (let b = 0; b < 4; b++) {
      await appendAuditBatch(source, Array.from({ length: 300 }, (_, i) => call(b * 300 + i)));
      await source.transaction((tx) => appendAudit(tx, [call(9_000 + b)]));
    }
    await appendAuditBatch(source, [call(7_777)]); // a one-record batch: a plain row
    // Older than the 366 days the migration rebuilds (a row and a pack): left out.
    await appendAuditBatch(source, [call(8_001, { at: T0 - 400 * DAY })]);
    await appendAuditBatch(source, [call(8_002, { at: T0 - 367 * DAY }), call(8_003)]);
    const log = await source.client.execute("SELECT * FROM audit_log ORDER BY seq");
    const columns = log.columns;
    const index = MIGRATIONS.findIndex((m) => m.name === "0017_activity_hourly");
    await withDb(async (old) => {
      for (const row of log.rows) {
        await old.client.execute({
          sql: `INSERT INTO audit_log (${columns.join(", ")}) VALUES (${
            columns.map(() => "?").join(", ")
          })`,
          args: columns.map((c) => row[c]),
        });
      }
      assert.deepEqual((await migrate(old.client, MIGRATIONS))[0], "0017_activity_hourly");
      const rebuilt = await rollup(old);
      assert.ok(rebuilt.length > 50);
      const recent = (rows: Row[]) => rows.filter((r) => Number(r.hour) >= T0 - 366 * DAY);
      assert.deepEqual(rebuilt, recent(await rollupFromLog(old)));
      assert.deepEqual(rebuilt, recent(await rollup(source)), "the rows the live path wrote");
      assert.equal((await rollup(source)).length - rebuilt.length, 2, "the two old calls");
    }, MIGRATIONS.slice(0, index));
  });
});
