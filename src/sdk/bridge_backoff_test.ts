import assert from "node:assert/strict";
import { bridgeBackoffMs } from "./bridge_backoff.ts";

Deno.test("bridge backoff: doubles from initialMs, capped at maxMs, jittered below the ceiling", () => {
  const top = { initialMs: 100, maxMs: 5_000, random: () => 0.999999 };
  assert.deepEqual(
    [0, 1, 2, 3, 6, 7, 100].map((a) => bridgeBackoffMs(a, top)),
    [99, 199, 399, 799, 4999, 4999, 4999],
  );
  assert.equal(bridgeBackoffMs(5, { initialMs: 100, maxMs: 5_000, random: () => 0 }), 0);
  assert.equal(bridgeBackoffMs(3, { initialMs: 100, maxMs: 5_000, random: () => 0.5 }), 400);
});
