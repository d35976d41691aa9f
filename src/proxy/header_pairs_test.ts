import assert from "node:assert/strict";
import { pairValue, removePairs, setPair } from "./header_pairs.ts";

Deno.test("header pairs: lookups ignore case, set replaces every field of the name", () => {
  const pairs: [string, string][] = [["X-Api-Key", "caller"], ["accept", "a"], ["x-api-key", "2"]];
  assert.equal(pairValue(pairs, "x-api-key"), "caller, 2");
  assert.equal(pairValue(pairs, "x-api-key"), new Headers(pairs).get("x-api-key"));
  assert.equal(pairValue(pairs, "missing"), null);
  setPair(pairs, "x-api-key", "ours");
  assert.deepEqual(pairs, [["accept", "a"], ["x-api-key", "ours"]]);
  removePairs(pairs, "accept");
  assert.deepEqual(pairs, [["x-api-key", "ours"]]);
});
