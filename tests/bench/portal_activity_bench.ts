/**
 * `deno run -A tests/bench/portal_activity_bench.ts`: what one portal page
 * view costs to read an entity's activity as other entities' calls pile up.
 *
 * One entity (alice) has BENCH_OWN calls (default 300) over the last days;
 * other entities' calls are added in steps up to BENCH_OTHERS (default
 * 200,000) from BENCH_ENTITIES entities (default 5,000), spread over the
 * 30-day window. At each step: the connection
 * page's read (`readActivity`, a page of 25 and last use) from the hourly
 * rollup, against the scan it replaced (decode every proxy.request pack of
 * 30 days, kept here as `scanActivity`, the previous code). Median ms of
 * BENCH_ROUNDS (default 5). Then unusual_hours' learning (`learnHours`,
 * 14 days) from the rollup against the scan it replaced, at the last step.
 * Timings only: the machine is shared.
 */
import { appendAuditBatch } from "../../src/audit/append.ts";
import type { AuditEvent } from "../../src/audit/audit_types.ts";
import { readRecords } from "../../src/audit/read_records.ts";
import type { Db } from "../../src/db/client.ts";
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { ACTIVITY_WINDOW_MS, readActivity } from "../../src/portal/portal_activity.ts";
import { learnHours } from "../../src/anomalies/learn_hours.ts";
import { historyRange } from "../../src/anomalies/hour_profile.ts";

const OWN = Number(Deno.env.get("BENCH_OWN") ?? 300);
const OTHERS = Number(Deno.env.get("BENCH_OTHERS") ?? 200_000);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const ENTITIES = Number(Deno.env.get("BENCH_ENTITIES") ?? 5_000);
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 2, 12);

const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const call = (at: number, entityId: string, i: number): AuditEvent => ({
  kind: "proxy.request",
  at,
  appId: "app_1",
  agentId: `agent-${i % 3}`,
  entityId,
  provider: i % 4 === 0 ? "drive" : "gmail",
  data: {
    bytesIn: 0,
    bytesOut: 1834,
    class: "read",
    decision: i % 40 === 0 ? "denied" : "allowed",
    durationMs: 12,
    host: "gmail.api.securix.test",
    method: "GET",
    note: null,
    operation: i % 4 === 0 ? "drive.files.list" : `gmail.users.messages.${i % 2 ? "get" : "list"}`,
    path: "/gmail/v1/users/me/messages?maxResults",
    status: 200,
  },
});

/** The previous readActivity: every record of the window decoded, the entity's kept. */
async function scanActivity(db: Db, appId: string, entityId: string, provider: string) {
  const lastUsed = new Map<string, number>();
  const kept: unknown[] = [];
  for await (
    const batch of readRecords(db, {
      appId,
      entityId,
      kinds: "proxy.request",
      since: NOW - ACTIVITY_WINDOW_MS,
    })
  ) {
    for (const r of batch) {
      if (r.data.via === "portal" || r.provider === null) continue;
      if (r.data.decision === "allowed" && (lastUsed.get(r.provider) ?? 0) < r.at) {
        lastUsed.set(r.provider, r.at);
      }
      if (r.provider !== provider) continue;
      kept.push(r);
      if (kept.length > 26) kept.shift();
    }
  }
  return { kept, lastUsed };
}

const dir = await Deno.makeTempDir({ prefix: "securix-portal-bench-" });
const database = await openDatabase({ url: `file:${dir}/bench.db`, create: true });
await migrate(database.client, MIGRATIONS);
try {
  // Alice's own calls: the last 3 days, mixed in with everyone else's from the start.
  const own = Array.from({ length: OWN }, (_, i) => call(NOW - (i * 72 * HOUR) / OWN, "alice", i));
  await appendAuditBatch(database, own);
  const where = { appId: "app_1", entityId: "alice", provider: "gmail" };
  let written = 0;
  console.log("other records | rollup rows | readActivity (rollup) ms | scan (before) ms");
  for (const step of [0, OTHERS / 8, OTHERS / 4, OTHERS / 2, OTHERS]) {
    while (written < step) {
      const n = Math.min(1_000, step - written);
      const batch = Array.from({ length: n }, (_, k) => {
        const i = written + k;
        // BENCH_ENTITIES other entities, calls spread over 29 days.
        return call(NOW - ((i * 7_919) % (29 * 24 * HOUR)), `user-${i % ENTITIES}`, i);
      });
      await appendAuditBatch(database, batch);
      written += n;
    }
    const rollupMs: number[] = [];
    const scanMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t0 = performance.now();
      await readActivity(database.db, where, { before: null, limit: 25 }, NOW);
      rollupMs.push(performance.now() - t0);
      t0 = performance.now();
      await scanActivity(database.db, where.appId, where.entityId, where.provider);
      scanMs.push(performance.now() - t0);
    }
    const [{ rows }] = (await database.client.execute(
      "SELECT count(*) AS rows FROM activity_hourly",
    )).rows as unknown as { rows: number }[];
    console.log(
      `${String(written).padStart(13)} | ${String(rows).padStart(11)} | ` +
        `${mid(rollupMs).toFixed(2).padStart(24)} | ${mid(scanMs).toFixed(1).padStart(16)}`,
    );
  }
  const learnMs: number[] = [];
  const learnScanMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t0 = performance.now();
    await learnHours(database.db, NOW, 14);
    learnMs.push(performance.now() - t0);
    t0 = performance.now();
    // The previous learnHours: every proxied record of the 14 days decoded.
    const { from, until } = historyRange(NOW, 14);
    const seen = new Set<string>();
    for await (
      const batch of readRecords(database.db, {
        kinds: "proxy.request",
        since: from,
        until: until - 1,
      })
    ) {
      for (const x of batch) seen.add(`${x.appId} ${x.entityId} ${x.provider} ${x.at % 24}`);
    }
    learnScanMs.push(performance.now() - t0);
  }
  console.log(
    `learnHours over ${written + OWN} records: rollup ${mid(learnMs).toFixed(1)} ms, ` +
      `scan (before) ${mid(learnScanMs).toFixed(1)} ms`,
  );
} finally {
  database.close();
  await Deno.remove(dir, { recursive: true });
}
