import assert from "node:assert/strict";
import {
  defaultMaxConnections,
  FALLBACK_MAX_CONNECTIONS,
  FD_RESERVE,
  perIsolateMaxConnections,
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
  assert.equal(defaultMaxConnections(256, 2), 32);
  assert.equal(defaultMaxConnections(1024, 4), Math.floor((1024 - FD_RESERVE) / 8));
  assert.equal(defaultMaxConnections(1_048_576, 8), 16_384, "a big limit still hits the ceiling");
  assert.equal(defaultMaxConnections(256, 64), 16, "never below 16");
  assert.equal(defaultMaxConnections(null, 2), FALLBACK_MAX_CONNECTIONS / 2);
});

Deno.test("conn limits: a configured cap is the process's total, shared by the isolates", () => {
  assert.equal(perIsolateMaxConnections(400, 4), 100);
  assert.equal(perIsolateMaxConnections(400, 1), 400);
  assert.equal(perIsolateMaxConnections(10, 3), 4, "rounded up");
  assert.equal(perIsolateMaxConnections(1, 8), 1, "never below one");
});
