import assert from "node:assert/strict";
import { openTempAppliance, type TempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createApp } from "../apps/app_store.ts";
import { appendAudit } from "../audit/append.ts";
import { listRecords } from "../audit/read_records.ts";
import { securitySchema } from "../config/security_schema.ts";
import type { OperationClass } from "../providers/operation.ts";
import type { CallRecord, Outcome } from "../proxy/completion.ts";
import type { Exchange } from "../proxy/exchange.ts";
import { addEndpoint } from "../webhooks/endpoint_store.ts";
import { AnomalyEngine, type AnomalyEngineDeps } from "./anomaly_engine.ts";
import { databaseAnomalyStorage } from "./anomaly_storage.ts";
import { listAnomaliesPage } from "./anomaly_store.ts";
import { clearAnomaly } from "./clear_anomaly.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;

interface Env {
  temp: TempAppliance;
  appId: string;
  clock: { now: number };
  engine(
    security?: Record<string, unknown>,
    deps?: Partial<Pick<AnomalyEngineDeps, "databaseBusy">>,
  ): AnomalyEngine;
  close(): Promise<void>;
}

async function env(): Promise<Env> {
  const temp = await openTempAppliance();
  const { database, vault } = temp.appliance;
  const clock = { now: 40 * DAY + 10 * HOUR };
  const app = await createApp(database.db, { name: "demo", origins: [] }, { now: () => clock.now });
  // One subscribed endpoint, so each finding's webhook is a delivery row to count.
  await addEndpoint(
    { db: database.db, vault, now: () => clock.now },
    app.id,
    "https://hooks.example.com/x",
    ["*"],
  );
  const engines: AnomalyEngine[] = [];
  return {
    temp,
    appId: app.id,
    clock,
    engine(security = {}, deps = {}) {
      const engine = new AnomalyEngine({
        ...deps,
        storage: databaseAnomalyStorage(database),
        security: securitySchema().parse(security),
        now: () => clock.now,
        log: (line) => console.error(line),
      });
      engines.push(engine);
      return engine;
    },
    async close() {
      for (const e of engines) await e.stop();
      await temp.cleanup();
    },
  };
}

function caller(appId: string, connection = "conn_1", agentId = "agent-1") {
  return {
    app: { id: appId },
    agentId,
    entityId: "alice",
    connection: { id: connection, appId, entityId: "alice", provider: "gmail" },
  };
}

function call(
  appId: string,
  started: number,
  cls: OperationClass,
  options: { connection?: string; agent?: string } = {},
): CallRecord {
  return {
    started,
    operation: { id: `gmail.users.messages.${cls}`, class: cls },
    caller: caller(appId, options.connection, options.agent),
    exchange: null,
  } as unknown as CallRecord;
}

function exchange(appId: string, cls: OperationClass, connection = "conn_1"): Exchange {
  return {
    operation: { id: `gmail.users.messages.${cls}`, class: cls },
    caller: caller(appId, connection),
    notes: {},
  } as unknown as Exchange;
}

const OK: Outcome = { status: 204, error: null, bytesIn: 0, bytesOut: 0 };

async function webhookCount(e: Env): Promise<number> {
  const { rows } = await e.temp.appliance.database.client.execute(
    "SELECT count(*) AS n FROM webhook_deliveries WHERE event_type = 'security.anomaly'",
  );
  return Number(rows[0].n);
}

Deno.test("mass_delete: the call over the threshold is refused, the connection's deletes stay blocked, one webhook", async () => {
  const e = await env();
  try {
    const engine = e.engine({ mass_delete: { threshold: 100, window: "60s" } });
    for (let i = 0; i < 100; i++) {
      assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
      engine.observe(call(e.appId, e.clock.now, "delete"), OK);
      e.clock.now += 100;
    }
    const refused = await engine.check(exchange(e.appId, "delete"));
    assert.equal(refused.action, "deny");
    const error = refused.action === "deny" ? refused.error : null;
    assert.equal(error?.code, "SX-403");
    assert.equal(error?.type, "anomaly_detected");
    assert.equal(error?.status, 403);
    assert.match(error!.message, /mass deletion pattern detected/);
    assert.deepEqual(
      { ...error!.details, anomalyId: undefined },
      {
        detector: "mass_delete",
        action: "gmail.users.messages.delete",
        count: 101,
        window: "1m",
        anomalyId: undefined,
      },
    );
    assert.match(error!.llmError!, /Stop now and do not retry/);
    // The refusal waited for the block's row: the id it names can be read (and cleared) at once.
    const { rows: stored } = await e.temp.appliance.database.client.execute({
      sql: "SELECT status FROM anomalies WHERE id = ?",
      args: [String(error!.details!.anomalyId)],
    });
    assert.equal(stored[0]?.status, "active", "the refusal's anomaly id is in the database");
    // Further deletes are refused with the same error; reads, writes and other connections pass.
    for (let i = 0; i < 5; i++) {
      const again = await engine.check(exchange(e.appId, "delete"));
      assert.equal(again.action === "deny" && again.error, error);
      engine.observe(call(e.appId, e.clock.now, "delete"), {
        status: 403,
        error: "SX-403",
        bytesIn: 0,
        bytesOut: 0,
      });
    }
    for (const cls of ["read", "write", "send"] as const) {
      assert.equal((await engine.check(exchange(e.appId, cls))).action, "continue");
    }
    // A batch could carry deletes: on a blocked connection it is refused as well.
    const batch = exchange(e.appId, "send");
    (batch.operation as { multiplexed?: boolean }).multiplexed = true;
    assert.equal((await engine.check(batch)).action, "deny");
    assert.equal(
      (await engine.check(exchange(e.appId, "delete", "conn_2"))).action,
      "continue",
    );
    await engine.settled();
    await engine.tick();
    assert.equal(await webhookCount(e), 1, "exactly one webhook per block");
    const { anomalies } = await listAnomaliesPage(e.temp.appliance.database.db, {}, { limit: 10 });
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].status, "active");
    assert.equal(anomalies[0].count, 101);
    // After a clear in this process, deletes go through at once and count afresh.
    await clearAnomaly(
      {
        database: e.temp.appliance.database,
        now: () => e.clock.now,
        onCleared: (a) => engine.forget(a),
      },
      anomalies[0].id,
      { by: { actor: "cli" } },
    );
    assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
  } finally {
    await e.close();
  }
});

Deno.test("mass_delete across processes: three each doing 40 deletes trip a threshold of 100, once", async () => {
  const e = await env();
  try {
    const security = { mass_delete: { threshold: 100, window: "60s" } };
    const engines = [e.engine(security), e.engine(security), e.engine(security)];
    for (const engine of engines) {
      for (let i = 0; i < 40; i++) {
        assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
        engine.observe(call(e.appId, e.clock.now, "delete"), OK);
      }
      e.clock.now += 200;
    }
    // Each shares once a share_ms: the third to share sees 120 and blocks.
    for (const engine of engines) await engine.tick();
    for (const engine of engines) await engine.settled();
    for (const engine of engines) await engine.tick();
    for (const engine of engines) {
      const verdict = await engine.check(exchange(e.appId, "delete"));
      assert.equal(verdict.action, "deny");
    }
    assert.equal(await webhookCount(e), 1);
    const { anomalies } = await listAnomaliesPage(e.temp.appliance.database.db, {}, { limit: 10 });
    assert.equal(anomalies.length, 1);
    assert.equal(anomalies[0].count, 120);
    // Cleared by another process (the CLI): every engine lets deletes through at its next refresh.
    await clearAnomaly(
      { database: e.temp.appliance.database, now: () => e.clock.now },
      anomalies[0].id,
      { by: { actor: "cli", osUser: "ops" } },
    );
    for (const engine of engines) {
      await engine.tick();
      assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
    }
  } finally {
    await e.close();
  }
});

Deno.test("exfiltration: bytes over the threshold block the next read, not writes", async () => {
  const e = await env();
  try {
    const engine = e.engine({ exfiltration: { threshold: "1MiB", window: "5m" } });
    const big = { status: 200, error: null, bytesIn: 0, bytesOut: 700 * 1024 };
    engine.observe(call(e.appId, e.clock.now, "read"), big);
    assert.equal((await engine.check(exchange(e.appId, "read"))).action, "continue");
    engine.observe(call(e.appId, e.clock.now, "read"), big);
    const next = await engine.check(exchange(e.appId, "read"));
    assert.equal(next.action, "deny");
    assert.equal(next.action === "deny" && next.error.details?.detector, "exfiltration");
    assert.equal(next.action === "deny" && next.error.details?.count, 1400 * 1024);
    assert.equal((await engine.check(exchange(e.appId, "write"))).action, "continue");
    assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
    await engine.settled();
    assert.equal(await webhookCount(e), 1);
  } finally {
    await e.close();
  }
});

Deno.test("connectionBlock: a block of either class on the connection, with the id in force; none on others or once expired", async () => {
  const e = await env();
  try {
    const engine = e.engine({
      block_minutes: 2,
      exfiltration: { threshold: "1MiB", window: "5m" },
      mass_delete: { threshold: 1, window: "60s" },
    });
    assert.equal(await engine.connectionBlock("conn_1"), null);
    // A read-class block (exfiltration) concerns a release too: the token can read.
    const big = { status: 200, error: null, bytesIn: 0, bytesOut: 700 * 1024 };
    engine.observe(call(e.appId, e.clock.now, "read"), big);
    engine.observe(call(e.appId, e.clock.now, "read"), big);
    const reads = await engine.connectionBlock("conn_1");
    assert.equal(reads?.detector, "exfiltration");
    const { rows } = await e.temp.appliance.database.client.execute({
      sql: "SELECT status FROM anomalies WHERE id = ?",
      args: [reads!.id],
    });
    assert.equal(rows[0]?.status, "active", "waited for the block's row, as a refusal does");
    // A delete-class block on another connection.
    engine.observe(call(e.appId, e.clock.now, "delete", { connection: "conn_2" }), OK);
    engine.observe(call(e.appId, e.clock.now, "delete", { connection: "conn_2" }), OK);
    assert.equal((await engine.connectionBlock("conn_2"))?.detector, "mass_delete");
    assert.equal(await engine.connectionBlock("conn_3"), null);
    e.clock.now += 121_000;
    assert.equal(await engine.connectionBlock("conn_1"), null, "expired");
    assert.equal(await engine.connectionBlock("conn_2"), null, "expired");
  } finally {
    await e.close();
  }
});

Deno.test("burst_errors: more than the threshold of upstream 4xx for one agent alerts once per window, blocks nothing", async () => {
  const e = await env();
  try {
    const engine = e.engine({ burst_errors: { threshold: 5, window: "60s" } });
    const notFound: Outcome = { status: 404, error: null, bytesIn: 0, bytesOut: 120 };
    const refusedByUs: Outcome = {
      status: 403,
      error: "SX-POLICY-DENIED",
      bytesIn: 0,
      bytesOut: 0,
    };
    // Our own refusals are not upstream errors; other agents count apart.
    for (let i = 0; i < 10; i++) engine.observe(call(e.appId, e.clock.now, "read"), refusedByUs);
    for (let i = 0; i < 5; i++) {
      engine.observe(call(e.appId, e.clock.now, "read", { agent: "agent-2" }), notFound);
      engine.observe(call(e.appId, e.clock.now, "read"), notFound);
    }
    await engine.settled();
    assert.equal(await webhookCount(e), 0, "5 is not more than 5");
    for (let i = 0; i < 20; i++) {
      engine.observe(call(e.appId, e.clock.now, "read"), notFound);
      e.clock.now += 1_000;
    }
    await engine.settled();
    assert.equal(await webhookCount(e), 1, "once per window");
    assert.equal((await engine.check(exchange(e.appId, "read"))).action, "continue");
    e.clock.now += 61_000;
    for (let i = 0; i < 6; i++) engine.observe(call(e.appId, e.clock.now, "read"), notFound);
    await engine.settled();
    assert.equal(await webhookCount(e), 2, "again in the next window");
    const { anomalies } = await listAnomaliesPage(e.temp.appliance.database.db, {}, { limit: 10 });
    assert.deepEqual(anomalies.map((a) => [a.detector, a.status, a.agentId, a.blocked]), [
      ["burst_errors", "alert", "agent-1", false],
      ["burst_errors", "alert", "agent-1", false],
    ]);
  } finally {
    await e.close();
  }
});

Deno.test("unusual_hours: learned from the audit trail; silent until min_days; one alert per connection and hour", async () => {
  const e = await env();
  try {
    const { database } = e.temp.appliance;
    const today = Math.floor(e.clock.now / DAY) * DAY;
    // Six days of activity at 09:00 and 14:00 for conn_1 (alice's gmail).
    const record = (at: number) => ({
      kind: "proxy.request",
      at,
      appId: e.appId,
      agentId: "agent-1",
      entityId: "alice",
      provider: "gmail",
      data: { operation: "gmail.users.messages.list" },
    });
    const days = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => today - (from + i) * DAY)
        .flatMap((day) => [record(day + 9 * HOUR), record(day + 14 * HOUR)]);
    await database.transaction((tx) => appendAudit(tx, days(6, 1)));
    const engine = e.engine({ unusual_hours: { history_days: 14, min_days: 7 } });
    await engine.learn();
    e.clock.now = today + 3 * HOUR;
    engine.observe(call(e.appId, e.clock.now, "read"), OK);
    await engine.settled();
    assert.equal(await webhookCount(e), 0, "six days of history: silent");
    // A seventh day of history (a week back, inside the 14) makes it speak.
    await database.transaction((tx) => appendAudit(tx, days(1, 7)));
    await engine.learn();
    e.clock.now = today + 9 * HOUR + 60_000;
    engine.observe(call(e.appId, e.clock.now, "read"), OK);
    await engine.settled();
    assert.equal(await webhookCount(e), 0, "09:00 is a usual hour");
    e.clock.now = today + 3 * HOUR + 10_000;
    for (let i = 0; i < 3; i++) engine.observe(call(e.appId, e.clock.now, "read"), OK);
    await engine.settled();
    assert.equal(await webhookCount(e), 1, "03:00 is not; alerted once");
    // Relearning within the hour does not repeat it; the next unusual hour alerts again.
    await engine.learn();
    e.clock.now += 60_000;
    engine.observe(call(e.appId, e.clock.now, "read"), OK);
    e.clock.now = today + 4 * HOUR;
    engine.observe(call(e.appId, e.clock.now, "read"), OK);
    // Another connection with no history: silent.
    engine.observe(call(e.appId, e.clock.now, "read", { connection: "conn_9" }), OK);
    await engine.settled();
    assert.equal(await webhookCount(e), 2);
    const audit = await listRecords(database.db, { kinds: "security.anomaly" });
    assert.equal(audit.length, 2);
    assert.deepEqual(
      audit.map((r) => [r.data.detector, r.data.blocked, r.data.window]),
      [["unusual_hours", false, "14d"], ["unusual_hours", false, "14d"]],
    );
  } finally {
    await e.close();
  }
});

Deno.test("detectors switched off count nothing", async () => {
  const e = await env();
  try {
    const engine = e.engine({
      mass_delete: { enabled: false, threshold: 1 },
      exfiltration: { enabled: false, threshold: 1 },
      burst_errors: { enabled: false, threshold: 1 },
      unusual_hours: { enabled: false },
    });
    for (let i = 0; i < 5; i++) {
      engine.observe(call(e.appId, e.clock.now, "delete"), {
        status: 404,
        error: null,
        bytesIn: 0,
        bytesOut: 100,
      });
    }
    assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
    assert.equal((await engine.check(exchange(e.appId, "read"))).action, "continue");
    await engine.tick();
    assert.equal(await webhookCount(e), 0);
  } finally {
    await e.close();
  }
});

Deno.test("block_minutes: a block ends by itself after that long and is marked expired", async () => {
  const e = await env();
  try {
    const engine = e.engine({ block_minutes: 2, mass_delete: { threshold: 2, window: "60s" } });
    for (let i = 0; i < 2; i++) engine.observe(call(e.appId, e.clock.now, "delete"), OK);
    assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "deny");
    await engine.settled();
    e.clock.now += 60_000;
    await engine.tick();
    assert.equal(
      (await engine.check(exchange(e.appId, "delete"))).action,
      "deny",
      "still within 2 min",
    );
    e.clock.now += 61_000;
    assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "continue");
    await engine.tick();
    const { anomalies } = await listAnomaliesPage(e.temp.appliance.database.db, {}, { limit: 10 });
    assert.deepEqual(anomalies.map((a) => a.status), ["expired"]);
    assert.equal(anomalies[0].expiresAt, anomalies[0].createdAt + 120_000);
  } finally {
    await e.close();
  }
});

Deno.test("subjects with nothing left in their window are forgotten", async () => {
  const e = await env();
  try {
    const engine = e.engine({ mass_delete: { threshold: 100, window: "60s" } });
    for (let c = 0; c < 50; c++) {
      engine.observe(call(e.appId, e.clock.now, "delete", { connection: `conn_${c}` }), OK);
    }
    await engine.tick();
    assert.equal(engine.subjects(), 50 * 1, "one tally per connection and detector");
    e.clock.now += 10 * 60_000;
    await engine.tick();
    assert.equal(engine.subjects(), 0);
  } finally {
    await e.close();
  }
});

Deno.test("audit backlog: a tick still reads blocks cleared or tripped elsewhere, and defers only its own writes", async () => {
  const e = await env();
  try {
    const { database } = e.temp.appliance;
    const security = { block_minutes: 10, mass_delete: { threshold: 2, window: "60s" } };
    const audit = { backlogged: false };
    const engine = e.engine(security, { databaseBusy: () => audit.backlogged });
    const other = e.engine(security);
    for (let i = 0; i < 2; i++) engine.observe(call(e.appId, e.clock.now, "delete"), OK);
    assert.equal((await engine.check(exchange(e.appId, "delete"))).action, "deny");
    await engine.settled();
    const [blocked] = (await listAnomaliesPage(database.db, {}, { limit: 10 })).anomalies;
    audit.backlogged = true;
    // An admin clears the block through the console or the CLI (not this engine's process).
    await clearAnomaly({ database, now: () => e.clock.now }, blocked.id, {
      by: { actor: "admin" },
    });
    // Another process blocks deletes on conn_2.
    for (let i = 0; i < 3; i++) {
      other.observe(call(e.appId, e.clock.now, "delete", { connection: "conn_2" }), OK);
    }
    await other.settled();
    // Counted here meanwhile: stays in memory, not shared while the audit writer catches up.
    engine.observe(call(e.appId, e.clock.now, "delete", { connection: "conn_3" }), OK);
    e.clock.now += 1_000;
    await engine.tick();
    assert.equal(
      (await engine.check(exchange(e.appId, "delete"))).action,
      "continue",
      "the admin's clear applies at the next tick, backlog or not",
    );
    assert.equal(
      (await engine.check(exchange(e.appId, "delete", "conn_2"))).action,
      "deny",
      "another process's block applies at the next tick, backlog or not",
    );
    const shared = async () =>
      (await database.client.execute({
        sql: "SELECT count(*) AS n FROM anomaly_counts WHERE subject = ?",
        args: ["conn_3"],
      })).rows[0].n;
    assert.equal(Number(await shared()), 0, "no counts shared while backlogged");
    // An expired block is let through here at once; its row is marked once the backlog is over.
    e.clock.now += 10 * 60_000;
    await engine.tick();
    assert.equal((await engine.check(exchange(e.appId, "delete", "conn_2"))).action, "continue");
    const statuses = async () =>
      (await listAnomaliesPage(database.db, {}, { limit: 10 })).anomalies
        .map((a) => `${a.connectionId} ${a.status}`).sort();
    assert.deepEqual(await statuses(), ["conn_1 cleared", "conn_2 active"]);
    audit.backlogged = false;
    engine.observe(call(e.appId, e.clock.now, "delete", { connection: "conn_3" }), OK);
    await engine.tick();
    assert.deepEqual(await statuses(), ["conn_1 cleared", "conn_2 expired"]);
    assert.equal(Number(await shared()) > 0, true, "shared once the backlog is over");
  } finally {
    await e.close();
  }
});
