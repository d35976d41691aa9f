import assert from "node:assert/strict";
import {
  connectionShares,
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  FD_RESERVE,
  ISOLATE_FD_RESERVE,
  isolateConnectionCaps,
  isolatesForOpenFiles,
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

Deno.test("conn limits: a configured cap is the process's total, split exactly among the isolates", () => {
  assert.deepEqual(connectionShares(400, 4), [100, 100, 100, 100]);
  assert.deepEqual(connectionShares(400, 1), [400]);
  assert.deepEqual(connectionShares(10, 3), [4, 3, 3], "the first total % isolates take one more");
  assert.deepEqual(connectionShares(11, 4), [3, 3, 3, 2]);
  for (const [total, isolates] of [[10, 3], [7, 2], [1_000_000, 256], [255, 256], [3, 8]]) {
    const shares = connectionShares(total, isolates);
    assert.equal(shares.reduce((a, b) => a + b, 0), total, `${total} over ${isolates}`);
    assert.ok(shares.every((share) => share >= 1), `${total} over ${isolates}: a share of 0`);
    assert.ok(Math.max(...shares) - Math.min(...shares) <= 1, `${total} over ${isolates}`);
  }
  assert.deepEqual(connectionShares(1, 8), [1], "fewer connections than isolates: fewer isolates");
  assert.deepEqual(connectionShares(3, 8), [1, 1, 1]);
});

Deno.test("conn limits: each isolate's cap, and why fewer isolates serve than wanted", () => {
  assert.deepEqual(isolateConnectionCaps(10, 3, 1024), { caps: [4, 3, 3], note: null });
  assert.deepEqual(isolateConnectionCaps(undefined, 2, 1024), {
    caps: [216, 216],
    note: null,
  });
  assert.deepEqual(isolateConnectionCaps(undefined, 1, null), {
    caps: [FALLBACK_MAX_CONNECTIONS],
    note: null,
  });
  const { caps, note } = isolateConnectionCaps(2, 4, 1024);
  assert.deepEqual(caps, [1, 1]);
  assert.equal(
    note,
    "Workers: 2 serving isolates instead of 4: server.max_connections 2 leaves none for the " +
      "others (an isolate without a share would shed every connection the port hands it)",
  );
  assert.match(isolateConnectionCaps(1, 2, null).note ?? "", /^Workers: 1 serving isolate instead/);
});

Deno.test("conn limits: a small open-file limit on many cores runs fewer isolates, never more descriptors than it has", () => {
  // ulimit -n 1024 on 64 cores: 16 connections (32 descriptors) and 32 of its own for each
  // isolate past the first, the reserve kept: 14 isolates.
  const { caps, note } = isolateConnectionCaps(undefined, 64, 1024);
  assert.equal(caps.length, 14);
  assert.ok(caps.every((cap) => cap >= 16));
  const used = FD_RESERVE + (caps.length - 1) * ISOLATE_FD_RESERVE +
    2 * caps.reduce((a, b) => a + b, 0);
  assert.ok(used <= 1024, `${used} descriptors`);
  assert.equal(
    note,
    "Workers: 14 serving isolates instead of 64: the open-file limit (1024) leaves fewer than 16 " +
      "connections each for more; raise it (LimitNOFILE, ulimit -n) or set server.workers",
  );
  assert.equal(isolatesForOpenFiles(2, 1024), 2);
  assert.equal(isolatesForOpenFiles(8, 64), 1, "a tiny limit still serves on one");
  assert.equal(isolatesForOpenFiles(8, null), 8);
  assert.deepEqual(isolateConnectionCaps(undefined, 4, 65_536).caps.length, 4);
});
