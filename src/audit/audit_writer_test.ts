import assert from "node:assert/strict";
import type { Database } from "../db/client.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";

const event = (i: number): AuditEvent => ({ kind: "proxy.request", at: i, data: { i } });

Deno.test("AuditWriter: past maxBatch, one flush waits behind the batch being written, not one per event", async () => {
  const batches: number[] = [];
  const gates: (() => void)[] = [];
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    maxBatch: 100,
    write: (events) => {
      batches.push(events.length);
      return new Promise((resolve) => gates.push(resolve));
    },
  });
  const settle = () => new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 100; i++) writer.record(event(i));
  await settle();
  // 150 more arrive while the first batch is being written.
  for (let i = 100; i < 250; i++) writer.record(event(i));
  gates.shift()!();
  await settle();
  // 30 more while the second is written: fewer than maxBatch, so they wait.
  for (let i = 250; i < 280; i++) writer.record(event(i));
  gates.shift()!();
  await settle();
  assert.deepEqual(batches, [100, 150], "a queued flush per event would have written the 30 now");
  const stopped = writer.stop();
  await settle();
  gates.shift()!();
  await stopped;
  assert.deepEqual(batches, [100, 150, 30]);
});

Deno.test("AuditWriter: a failed batch is kept and written with the next flush", async () => {
  const written: number[][] = [];
  let fail = true;
  const errors: unknown[] = [];
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    onError: (error) => errors.push(error),
    write: (events) => {
      if (fail) return Promise.reject(new Error("disk full"));
      written.push(events.map((e) => e.data.i as number));
      return Promise.resolve();
    },
  });
  writer.record(event(1));
  await writer.flush();
  fail = false;
  writer.record(event(2));
  await writer.stop();
  assert.equal(errors.length, 1);
  assert.deepEqual(written, [[1, 2]]);
});

Deno.test("AuditWriter: the batch being written or retried counts toward pending and the backlog limit", async () => {
  let release: (() => void) | null = null;
  let fail = true;
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    backlogLimit: 10,
    onError: () => {},
    write: () =>
      new Promise((resolve, reject) => {
        release = () => (fail ? reject(new Error("database is locked")) : resolve());
      }),
  });
  for (let i = 0; i < 6; i++) writer.record(event(i));
  const flushed = writer.flush();
  await new Promise((r) => setTimeout(r, 5));
  for (let i = 6; i < 10; i++) writer.record(event(i));
  assert.equal(writer.pending, 10, "6 in flight + 4 buffered");
  assert.equal(writer.backlogged, true);
  release!();
  await flushed;
  assert.equal(writer.pending, 10, "the failed batch is back in the buffer");
  fail = false;
  const stopped = writer.stop();
  await new Promise((r) => setTimeout(r, 5));
  release!();
  await stopped;
  assert.equal(writer.pending, 0);
  assert.equal(writer.backlogged, false);
});

Deno.test("AuditWriter: the hook is told once, as the queued events reach the backlog limit", () => {
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    backlogLimit: 5,
    write: () => Promise.resolve(),
  });
  const told: number[] = [];
  writer.onBacklogged = () => told.push(writer.pending);
  for (let i = 0; i < 8; i++) writer.record(event(i));
  assert.deepEqual(told, [5], "at the fifth event, not before or again");
  assert.equal(writer.backlogged, true);
});

Deno.test("AuditWriter: a backlogged downstream writer makes this one backlogged too", () => {
  let downstream = false;
  const writer = new AuditWriter({
    database: null as unknown as Database,
    backlogLimit: 10,
    write: () => Promise.resolve(),
    downstreamBacklogged: () => downstream,
  });
  writer.record(event(1));
  assert.equal(writer.backlogged, false);
  downstream = true;
  assert.equal(writer.backlogged, true, "the main isolate's backlog stops this isolate's proxy");
  downstream = false;
  assert.equal(writer.backlogged, false);
});
