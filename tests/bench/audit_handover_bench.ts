/**
 * `deno run --allow-all tests/bench/audit_handover_bench.ts [old-tree]`: the main
 * isolate's CPU per audit record a serving isolate hands over (`securix serve`
 * with workers > 1): the batch as the isolate posts it (a JSON array of 250
 * proxy records, 50 ms' worth at 5,000 req/s) queued in the writer and handed
 * on to the audit thread as one JSON string. Thread CPU (getrusage per thread
 * is not in Deno; this runs on the main thread alone), so the VM's load moves
 * it far less than wrk's numbers. With an old tree's path the same is run
 * through that tree's writer (record per parsed event, then JSON.stringify).
 */
import { AuditWriter } from "../../src/audit/audit_writer.ts";
import type { AuditEvent } from "../../src/audit/audit_types.ts";
import type { Database } from "../../src/db/client.ts";

const BATCH = 250;
const BATCHES = Number(Deno.env.get("BENCH_BATCHES") ?? 4_000);
const event = (i: number): AuditEvent => ({
  kind: "proxy.request",
  at: 1_796_000_000_000 + i,
  appId: "app_01jxyzabcdefghjkmnpqrstvwx",
  agentId: "bench-agent",
  entityId: "bench-user",
  provider: "github",
  data: {
    bytesIn: 0,
    bytesOut: 15,
    class: "read",
    decision: "allowed",
    durationMs: 1,
    host: "github.api.localhost",
    method: "GET",
    note: null,
    operation: "github.repos.get",
    path: "/repos/o/r",
    status: 200,
  },
});
const posted = Array.from(
  { length: 16 },
  (_, b) => JSON.stringify(Array.from({ length: BATCH }, (_, i) => event(b * BATCH + i))),
);

type Writer = {
  record(e: AuditEvent): void;
  recordJson?(json: string, count: number, oldestAt: number): void;
  stop(): Promise<void>;
};
type WriterClass = new (options: Record<string, unknown>) => Writer;

/** µs of this thread per handed-over record, through `Writer` as serve_command wires it. */
async function perRecord(Writer: WriterClass, asJson: boolean): Promise<number> {
  let sink = 0;
  const writer = new Writer({
    database: null as unknown as Database,
    intervalMs: 60_000,
    // What the audit thread receives: AuditThread.write stringified the objects.
    write: (events: AuditEvent[]) => Promise.resolve(void (sink += JSON.stringify(events).length)),
    writeJson: (json: string) => Promise.resolve(void (sink += json.length)),
  });
  const start = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    const json = posted[b % posted.length];
    if (asJson) writer.recordJson!(json, BATCH, 0);
    else for (const e of JSON.parse(json) as AuditEvent[]) writer.record(e);
    // The writer's early flushes run between batches, as between messages.
    if (b % 4 === 3) await Promise.resolve();
  }
  await writer.stop();
  if (sink === 0) throw new Error("nothing written");
  return (performance.now() - start) * 1000 / (BATCHES * BATCH);
}

const oldTree = Deno.args[0];
const Old = oldTree
  ? (await import(`${oldTree}/src/audit/audit_writer.ts`)).AuditWriter as WriterClass
  : AuditWriter as unknown as WriterClass;
const rows: Record<string, number[]> = { "parsed and re-encoded": [], "handed on as JSON": [] };
for (let round = 0; round < 5; round++) {
  rows["parsed and re-encoded"].push(await perRecord(Old, false));
  rows["handed on as JSON"].push(await perRecord(AuditWriter as unknown as WriterClass, true));
}
for (const [name, values] of Object.entries(rows)) {
  const sorted = values.sort((a, b) => a - b);
  console.log(
    `${name}: median ${sorted[2].toFixed(3)} µs per record (${
      sorted.map((v) => v.toFixed(2)).join(", ")
    })`,
  );
}
