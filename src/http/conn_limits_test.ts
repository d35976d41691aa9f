import assert from "node:assert/strict";
import {
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  FD_RESERVE,
  ISOLATE_FD_RESERVE,
  isolatesForOpenFiles,
  openFileTotal,
  processConnections,
} from "./conn_limits.ts";

Deno.test("conn limits: the default cap leaves the reserve and a descriptor per upstream", () => {
  assert.equal(defaultMaxConnections(1024), (1024 - FD_RESERVE) / 2);
  assert.equal(defaultMaxConnections(256), 64);
  assert.equal(defaultMaxConnections(20_000), 9_936);
  assert.equal(defaultMaxConnections(1_048_576), 16_384);
  assert.equal(defaultMaxConnections(64), 16);
  assert.equal(defaultMaxConnections(null), FALLBACK_MAX_CONNECTIONS);
});

Deno.test("conn limits: serving isolates share the process's descriptors", () => {
  assert.equal(defaultMaxConnections(256, 1), 64);
  // Each isolate past the first keeps its own descriptors too.
  assert.equal(defaultMaxConnections(256, 2), (256 - FD_RESERVE - ISOLATE_FD_RESERVE) / 4);
  assert.equal(
    defaultMaxConnections(1024, 4),
    Math.floor((1024 - FD_RESERVE - 3 * ISOLATE_FD_RESERVE) / 8),
  );
  assert.equal(defaultMaxConnections(1_048_576, 8), 16_384, "a big limit still hits the ceiling");
  assert.equal(defaultMaxConnections(256, 64), 16, "never below 16");
  assert.equal(defaultMaxConnections(null, 2), FALLBACK_MAX_CONNECTIONS / 2);
});

Deno.test("conn limits: the process's cap, shared by every isolate, and why fewer isolates serve", () => {
  // A configured total is the total, whatever the isolates (they count together).
  assert.deepEqual(processConnections(10, 3, 1024), { isolates: 3, total: 10, note: null });
  assert.deepEqual(processConnections(2, 4, 1024), { isolates: 4, total: 2, note: null });
  // A configured total does not make room for more isolates than their own descriptors allow.
  assert.equal(processConnections(1000, 64, 1024).isolates, 14);
  assert.equal(processConnections(1000, 64, 1024).total, 1000);
  assert.ok(openFileTotal(1024, 14) < 1000, "doctor holds that total against what 1024 carry");
  assert.deepEqual(processConnections(undefined, 2, 1024), {
    isolates: 2,
    total: 2 * 216,
    note: null,
  });
  assert.deepEqual(processConnections(undefined, 1, null), {
    isolates: 1,
    total: FALLBACK_MAX_CONNECTIONS,
    note: null,
  });
});

Deno.test("conn limits: a small open-file limit on many cores runs fewer isolates, never more descriptors than it has", () => {
  // ulimit -n 1024 on 64 cores: 16 connections (32 descriptors) and 32 of its own for each
  // isolate past the first, the reserve kept: 14 isolates.
  const { isolates, total, note } = processConnections(undefined, 64, 1024);
  assert.equal(isolates, 14);
  assert.ok(total >= 16 * 14);
  const used = FD_RESERVE + (isolates - 1) * ISOLATE_FD_RESERVE + 2 * total;
  assert.ok(used <= 1024, `${used} descriptors`);
  assert.equal(
    note,
    "Workers: 14 serving isolates instead of 64: the open-file limit (1024) leaves fewer than 16 " +
      "connections each for more; raise it (LimitNOFILE, ulimit -n) or set server.workers",
  );
  assert.equal(isolatesForOpenFiles(2, 1024), 2);
  assert.equal(isolatesForOpenFiles(8, 64), 1, "a tiny limit still serves on one");
  assert.equal(isolatesForOpenFiles(8, null), 8);
  assert.equal(processConnections(undefined, 4, 65_536).isolates, 4);
});
