import assert from "node:assert/strict";
import { openSecondDatabase, openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { appendAudit } from "../audit/append.ts";
import type { Anomaly } from "../anomalies/anomaly_types.ts";
import { createApp } from "../apps/app_store.ts";
import { SecurityThread } from "./security_thread.ts";

const SPEC = { count: 10, periodMs: 60_000, burst: 10 };
const DAY = 86_400_000;
const HOUR = 3_600_000;

function block(appId: string, id: string, createdAt: number): Anomaly {
  return {
    id,
    appId,
    connectionId: "conn_1",
    agentId: "agent-1",
    entityId: "alice",
    provider: "gmail",
    detector: "mass_delete",
    action: "gmail.users.messages.delete",
    count: 101,
    windowMs: 60_000,
    blocked: true,
    status: "active",
    createdAt,
    expiresAt: null,
    clearedAt: null,
    clearedBy: null,
  };
}

Deno.test("security thread: leases, shared counts, one block row across threads, expiry and learned hours cross the thread intact", async () => {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const options = {
    url: database.openOptions.url,
    encryptionKey: database.openOptions.encryptionKey,
  };
  const a = await SecurityThread.start(options, 10_000);
  const b = await SecurityThread.start(options, 10_000);
  try {
    const t = 50 * DAY + 10 * HOUR;
    const claim = (want: number) => [{ key: "k", spec: SPEC, returning: 0, want }];
    const [first] = await a.buckets.settle("holder-a", claim(10), t);
    assert.equal(first.granted, 10, "the first claim gets the whole burst");
    const [second] = await b.buckets.settle("holder-b", claim(10), t + 1);
    assert.equal(second.granted, 0, "another holder gets nothing while the lease lives");
    assert.equal(second.leasedByOthers, 10);

    const delta = { detector: "mass_delete", subject: "conn_1", bucket: t - (t % 1000), count: 40 };
    await a.anomalies.shareCounts([delta], t - 60_000, t - 120_000);
    const totals = await b.anomalies.shareCounts([delta], t - 60_000, t - 120_000);
    assert.deepEqual(totals.map((r) => r.count), [80], "counts of both threads add up");

    const app = await createApp(database.db, { name: "demo", origins: [] }, { now: () => t });
    const [x, y] = await Promise.all([
      a.anomalies.recordAnomaly(block(app.id, "anom_a", t), 60_000),
      b.anomalies.recordAnomaly(block(app.id, "anom_b", t), 60_000),
    ]);
    assert.equal([x, y].filter((r) => r.created).length, 1, "exactly one block is written");
    assert.equal(x.anomaly.id, y.anomaly.id, "both answer the one in force");
    const blocks = await b.anomalies.activeBlocks();
    assert.deepEqual(blocks.map((r) => r.id), [x.anomaly.id]);
    await a.anomalies.expireBlocks([x.anomaly.id]);
    assert.deepEqual(await b.anomalies.activeBlocks(), []);

    const today = Math.floor(t / DAY) * DAY;
    await database.transaction((tx) =>
      appendAudit(
        tx,
        [1, 2].map((n) => ({
          kind: "proxy.request" as const,
          at: today - n * DAY + 9 * HOUR,
          appId: app.id,
          agentId: "agent-1",
          entityId: "alice",
          provider: "gmail",
          data: {},
        })),
      )
    );
    const profiles = await a.anomalies.learnHours(t, 14);
    const profile = profiles.get(app.id)?.get("alice")?.get("gmail");
    assert.deepEqual(profile, { hours: 1 << 9, days: 2, alertedHour: -1 });
  } finally {
    a.close();
    b.close();
    await temp.cleanup();
  }
});

Deno.test("security thread: a closed thread refuses every call (the limits then fail closed)", async () => {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const thread = await SecurityThread.start({
    url: database.openOptions.url,
    encryptionKey: database.openOptions.encryptionKey,
  }, 10_000);
  try {
    const pending = thread.anomalies.activeBlocks();
    thread.close();
    await assert.rejects(pending, /closed/);
    await assert.rejects(
      thread.buckets.settle("h", [{ key: "k", spec: SPEC, returning: 0, want: 1 }], 0),
      /closed/,
    );
  } finally {
    await temp.cleanup();
  }
});

Deno.test("security thread: a database it cannot open is an error at start, not a thread that hangs", async () => {
  const temp = await openTempAppliance();
  try {
    await assert.rejects(
      SecurityThread.start({ url: temp.appliance.database.openOptions.url, encryptionKey: "0" }, 1),
    );
  } finally {
    await temp.cleanup();
  }
});

Deno.test("security thread: after SQLITE_BUSY it answers again once the lock goes", async () => {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const thread = await SecurityThread.start({
    url: database.openOptions.url,
    encryptionKey: database.openOptions.encryptionKey,
  }, 10_000);
  const other = await openSecondDatabase(temp.appliance.config);
  try {
    // BEGIN IMMEDIATE on another connection: the thread's write waits out its busy
    // timeout on its own thread (this one keeps running its timers) and fails.
    const tx = await other.client.transaction("write");
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const claim = [{ key: "k", spec: SPEC, returning: 0, want: 1 }];
    await assert.rejects(thread.buckets.settle("h", claim, 1_000), /locked|BUSY/i);
    clearInterval(timer);
    assert.ok(ticks >= 20, `this thread's timers ran ${ticks} times while the thread waited`);
    await tx.rollback();
    const [settled] = await thread.buckets.settle("h", claim, 1_001);
    assert.equal(settled.granted, 1);
  } finally {
    thread.close();
    other.close();
    await temp.cleanup();
  }
});

Deno.test("security thread: another isolate's port reaches the same thread; closing the port leaves the thread serving", async () => {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const thread = await SecurityThread.start({
    url: database.openOptions.url,
    encryptionKey: database.openOptions.encryptionKey,
  }, 10_000);
  const viaPort = SecurityThread.over(thread.port());
  try {
    const claim = [{ key: "k", spec: SPEC, returning: 0, want: 6 }];
    const [own] = await thread.buckets.settle("isolate-0", claim, 1_000);
    assert.equal(own.granted, 6);
    const [other] = await viaPort.buckets.settle("isolate-1", claim, 1_001);
    assert.equal(other.granted, 4, "a holder of its own: the rest of the burst, no more");
    assert.equal(other.leasedByOthers, 6);
    viaPort.close();
    await assert.rejects(viaPort.anomalies.activeBlocks(), /closed/);
    assert.deepEqual(await thread.anomalies.activeBlocks(), []);
  } finally {
    viaPort.close();
    thread.close();
    await temp.cleanup();
  }
});
