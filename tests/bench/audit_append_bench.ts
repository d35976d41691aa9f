/**
 * `deno run -A tests/bench/audit_append_bench.ts`: what the audit thread
 * spends per proxied record in `appendAuditBatch` (chain, pack, insert,
 * commit, and the activity rollup), on a file database as `serve` uses.
 *
 * Batches of BENCH_BATCH (default 1000, the writer's maxBatch) realistic
 * `proxy.request` events spread over BENCH_ENTITIES entities (default 200),
 * 3 agents, 6 operations, mostly allowed; BENCH_BATCHES batches per round
 * (default 40), BENCH_ROUNDS rounds (default 5); µs per record, median of
 * the rounds. The machine is shared: compare runs taken back to back.
 *
 * The database is encrypted as `serve` opens it (BENCH_ENCRYPTED=0: plain).
 * The batches reach appendAuditBatch as the audit thread receives them: one
 * JSON string each, parsed in the timed loop. Besides wall time, the
 * thread's own CPU time per record (Linux, /proc/thread-self: 10 ms ticks,
 * so a round needs tens of thousands of records), then the same by stage:
 * each stage run alone over a round's batches (the database stages in their
 * own transaction, with the packs and rollups prepared beforehand);
 * BENCH_STAGES=0 leaves the breakdown out (shorter runs to alternate).
 */
import type { InValue } from "@libsql/client";
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { rollupUpsert } from "../../src/audit/activity_rollup.ts";
import { appendAuditBatch, packInsert } from "../../src/audit/append.ts";
import { auditIds } from "../../src/audit/audit_id.ts";
import { buildPack, type Pack } from "../../src/audit/audit_pack.ts";
import { type AuditEvent, GENESIS_HASH } from "../../src/audit/audit_types.ts";
import { chainContent, chainedFields, hashLink } from "../../src/audit/chain.ts";

const BATCH = Number(Deno.env.get("BENCH_BATCH") ?? 1000);
const BATCHES = Number(Deno.env.get("BENCH_BATCHES") ?? 40);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const ENTITIES = Number(Deno.env.get("BENCH_ENTITIES") ?? 200);
const ENCRYPTED = Deno.env.get("BENCH_ENCRYPTED") !== "0";
const STAGES = Deno.env.get("BENCH_STAGES") !== "0";
const OPERATIONS = [
  ["gmail.users.messages.list", "read"],
  ["gmail.users.messages.get", "read"],
  ["gmail.users.messages.send", "write"],
  ["drive.files.list", "read"],
  ["drive.files.get", "read"],
  ["drive.files.delete", "delete"],
];

const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

let clock = Date.UTC(2026, 11, 2, 9);
function events(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (let i = 0; i < n; i++) {
    clock += 1;
    const [operation, cls] = OPERATIONS[i % OPERATIONS.length];
    const denied = i % 50 === 0;
    out.push({
      kind: "proxy.request",
      at: clock,
      appId: "app_bench",
      agentId: `agent-${i % 3}`,
      entityId: `user-${(i * 7919) % ENTITIES}`,
      provider: operation.startsWith("gmail") ? "gmail" : "drive",
      data: {
        bytesIn: 0,
        bytesOut: 1834,
        class: cls,
        decision: denied ? "denied" : "allowed",
        durationMs: 12,
        ...(denied ? { error: "SX-SCOPE-DISABLED" } : {}),
        host: "gmail.api.securix.test",
        method: "GET",
        note: null,
        operation,
        path: "/gmail/v1/users/me/messages?maxResults",
        status: denied ? 403 : 200,
      },
    });
  }
  return out;
}

/** This thread's CPU time so far in ms (10 ms ticks), or null off Linux. */
function threadCpuMs(): number | null {
  try {
    const stat = Deno.readTextFileSync("/proc/thread-self/stat");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** µs of thread CPU (or of wall time where there is no thread clock) per record of `fn`. */
async function perRecord(records: number, fn: () => Promise<void> | void): Promise<number> {
  const cpu = threadCpuMs();
  const t0 = performance.now();
  await fn();
  const used = cpu === null ? performance.now() - t0 : threadCpuMs()! - cpu;
  return used * 1000 / records;
}

const dir = await Deno.makeTempDir({ prefix: "securix-append-bench-" });
const database = await openDatabase({
  url: `file:${dir}/bench.db`,
  create: true,
  encryptionKey: ENCRYPTED ? "5ec0".repeat(16) : null,
});
await migrate(database.client, MIGRATIONS);

/** One transaction per batch running `statements(i)`; `commit` false rolls it back untimed. */
async function inTransactions(
  count: number,
  statements: (i: number) => { sql: string; args: InValue[] }[],
  commit: boolean,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const tx = await database.client.transaction("write");
    try {
      for (const statement of statements(i)) await tx.execute(statement);
      if (commit) await tx.commit();
    } finally {
      tx.close();
    }
  }
}

/** Each stage alone over `texts` (batches as the audit thread receives them). */
async function stages(texts: string[]): Promise<Record<string, number>> {
  const n = texts.length * BATCH;
  const out: Record<string, number> = {};
  let batches: AuditEvent[][] = [];
  out["JSON.parse of the batch"] = await perRecord(n, () => {
    batches = texts.map((t) => JSON.parse(t));
  });
  let ids: string[][] = [];
  out["ids"] = await perRecord(n, () => {
    ids = batches.map((b) => auditIds(b.map((e) => e.at)));
  });
  let contents: string[][] = [];
  out["record text (as a single row builds it)"] = await perRecord(n, () => {
    contents = batches.map((b, k) => b.map((e, i) => chainContent(chainedFields(e, ids[k][i]))));
  });
  out["SHA-256 per record"] = await perRecord(n, () => {
    for (const c of contents) c.reduce(hashLink, GENESIS_HASH);
  });
  let packs: Pack[] = [];
  out["buildPack (the two above + pack text)"] = await perRecord(n, () => {
    packs = batches.map((b, k) => buildPack(b, ids[k], GENESIS_HASH));
  });
  const rollups = batches.map((b) => rollupUpsert(b));
  out["rollup rows (JS)"] = await perRecord(n, () => void batches.map((b) => rollupUpsert(b)));
  // Kept (not rolled back), so the table grows as in the timed runs; ids differ from theirs.
  out["INSERT of the pack + commit"] = await perRecord(
    n,
    () => inTransactions(packs.length, (i) => [packInsert(packs[i])], true),
  );
  const rollupOnly = (i: number) => rollups[i] ? [rollups[i]!] : [];
  out["rollup upsert + commit"] = await perRecord(
    n,
    () => inTransactions(packs.length, rollupOnly, true),
  );
  out["empty write transaction"] = await perRecord(
    n,
    () => inTransactions(packs.length, () => [], true),
  );
  return out;
}

try {
  // Warm-up: JIT, and a table that is not empty.
  for (let i = 0; i < 5; i++) await appendAuditBatch(database, events(BATCH));
  const wall: number[] = [];
  const cpu: number[] = [];
  const byStage: Record<string, number[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    const texts = Array.from({ length: BATCHES }, () => JSON.stringify(events(BATCH)));
    const t0 = performance.now();
    cpu.push(
      await perRecord(BATCHES * BATCH, async () => {
        for (const text of texts) await appendAuditBatch(database, JSON.parse(text));
      }),
    );
    wall.push((performance.now() - t0) * 1000 / (BATCHES * BATCH));
    if (!STAGES) continue;
    const stageTexts = Array.from({ length: BATCHES }, () => JSON.stringify(events(BATCH)));
    for (const [stage, us] of Object.entries(await stages(stageTexts))) {
      (byStage[stage] ??= []).push(us);
    }
  }
  const clock = threadCpuMs() === null ? "wall" : "thread CPU";
  console.log(
    `JSON.parse + appendAuditBatch: ${mid(wall).toFixed(2)} µs wall, ${
      mid(cpu).toFixed(2)
    } µs ${clock} per record (median of ${ROUNDS}; rounds ${
      wall.map((v) => v.toFixed(2)).join(", ")
    } wall), batches of ${BATCH}, ${ENTITIES} entities, ${ENCRYPTED ? "encrypted" : "plain"} file`,
  );
  if (STAGES) console.log(`By stage, each alone (µs ${clock} per record, median of ${ROUNDS}):`);
  for (const [stage, values] of Object.entries(byStage)) {
    console.log(`  ${stage.padEnd(42)} ${mid(values).toFixed(2)}`);
  }
} finally {
  database.close();
  await Deno.remove(dir, { recursive: true });
}
