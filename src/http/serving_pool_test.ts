import assert from "node:assert/strict";
import { servingIsolates } from "./serving_pool.ts";

Deno.test('serving pool: workers = "auto" is one isolate per core, a number is itself', () => {
  assert.equal(servingIsolates("auto", 8), 8);
  assert.equal(servingIsolates("auto", 0), 1, "an unknown core count still serves");
  assert.equal(servingIsolates(3, 8), 3);
  assert.equal(servingIsolates(1, 64), 1);
});
