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
 */
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { MIGRATIONS } from "../../src/db/migrations.ts";
import { appendAuditBatch } from "../../src/audit/append.ts";
import type { AuditEvent } from "../../src/audit/audit_types.ts";

const BATCH = Number(Deno.env.get("BENCH_BATCH") ?? 1000);
const BATCHES = Number(Deno.env.get("BENCH_BATCHES") ?? 40);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 5);
const ENTITIES = Number(Deno.env.get("BENCH_ENTITIES") ?? 200);
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

const dir = await Deno.makeTempDir({ prefix: "securix-append-bench-" });
const database = await openDatabase({ url: `file:${dir}/bench.db`, create: true });
await migrate(database.client, MIGRATIONS);
try {
  // Warm-up: JIT, and a table that is not empty.
  for (let i = 0; i < 5; i++) await appendAuditBatch(database, events(BATCH));
  const perRecord: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const batches = Array.from({ length: BATCHES }, () => events(BATCH));
    const t0 = performance.now();
    for (const batch of batches) await appendAuditBatch(database, batch);
    perRecord.push((performance.now() - t0) * 1000 / (BATCHES * BATCH));
  }
  console.log(
    `appendAuditBatch: ${mid(perRecord).toFixed(2)} µs per record (median of ${ROUNDS}; ` +
      `rounds ${perRecord.map((v) => v.toFixed(2)).join(", ")}), batches of ${BATCH}, ` +
      `${ENTITIES} entities`,
  );
} finally {
  database.close();
  await Deno.remove(dir, { recursive: true });
}
