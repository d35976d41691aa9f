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

/** A serving isolate's batch as it posts it: JSON, here with its own spacing to see it is not re-encoded. */
const handed = (from: number, to: number) =>
  `[ ${Array.from({ length: to - from }, (_, k) => JSON.stringify(event(from + k))).join(" , ")} ]`;

Deno.test("AuditWriter: handed JSON arrays reach writeJson unparsed, joined with the events recorded here", async () => {
  const written: string[] = [];
  const flushed: [number, number][] = [];
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    now: () => 100,
    onFlush: (count, lagMs) => flushed.push([count, lagMs]),
    writeJson: (json) => {
      written.push(json);
      return Promise.resolve();
    },
  });
  writer.record(event(40));
  writer.recordJson(handed(10, 13), 3, 10);
  writer.recordJson(handed(20, 22), 2, 20);
  assert.equal(writer.pending, 6);
  await writer.stop();
  assert.equal(written.length, 1);
  assert.ok(written[0].includes(handed(10, 13).slice(1, -1)), "the isolate's text as it came");
  const events = JSON.parse(written[0]) as AuditEvent[];
  assert.deepEqual(events.map((e) => e.at), [40, 10, 11, 12, 20, 21]);
  assert.deepEqual(flushed, [[6, 90]], "all six counted, lag from the oldest event");
  assert.equal(writer.pending, 0);
});

Deno.test("AuditWriter: a failed batch with handed arrays is retried whole, counted all along", async () => {
  const written: string[] = [];
  let fail = true;
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    onError: () => {},
    writeJson: (json) => {
      if (fail) return Promise.reject(new Error("disk full"));
      written.push(json);
      return Promise.resolve();
    },
  });
  writer.recordJson(handed(0, 4), 4, 0);
  writer.record(event(9));
  await writer.flush();
  assert.equal(writer.pending, 5, "the failed batch is back");
  fail = false;
  writer.recordJson(handed(4, 6), 2, 4);
  await writer.stop();
  const ats = (JSON.parse(written[0]) as AuditEvent[]).map((e) => e.at);
  assert.deepEqual(ats, [9, 0, 1, 2, 3, 4, 5]);
  assert.equal(writer.pending, 0);
});

Deno.test("AuditWriter: handed arrays count toward maxBatch and the backlog limit, the hook told once as they pass it", () => {
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    maxBatch: 1_000,
    backlogLimit: 5,
    writeJson: () => new Promise(() => {}),
  });
  const told: number[] = [];
  writer.onBacklogged = () => told.push(writer.pending);
  writer.record(event(0));
  writer.recordJson(handed(1, 4), 3, 1);
  assert.equal(writer.backlogged, false);
  writer.recordJson(handed(4, 7), 3, 4);
  writer.recordJson(handed(7, 9), 2, 7);
  assert.deepEqual(told, [7], "told as the batch passing 5 came, not again");
  assert.equal(writer.backlogged, true);
  assert.equal(writer.pending, 9);
});

Deno.test("AuditWriter: without writeJson, handed arrays are parsed for write (a writer on this thread)", async () => {
  const written: number[][] = [];
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    write: (events) => {
      written.push(events.map((e) => e.at));
      return Promise.resolve();
    },
  });
  writer.recordJson(handed(3, 5), 2, 3);
  writer.record(event(7));
  await writer.stop();
  assert.deepEqual(written, [[7, 3, 4]]);
});
