import assert from "node:assert/strict";
import { TtlCache } from "./ttl_cache.ts";

Deno.test("TtlCache: entries live for the TTL, misses are told from cached nulls, size is capped", () => {
  let now = 1_000;
  const cache = new TtlCache<string | null>(500, () => now, 3);
  cache.set("a", "A");
  cache.set("b", null);
  assert.deepEqual(cache.get("a")?.value, "A");
  assert.equal(cache.get("b")?.value, null);
  assert.equal(cache.get("c"), undefined);
  now += 499;
  assert.equal(cache.get("a")?.value, "A");
  now += 1;
  assert.equal(cache.get("a"), undefined, "expired at the TTL");
  cache.set("a", "A2");
  cache.set("c", "C");
  cache.set("d", "D");
  assert.equal(cache.get("a"), undefined, "past maxEntries it started over");
  assert.equal(cache.get("d")?.value, "D");
  cache.delete("d");
  assert.equal(cache.get("d"), undefined);
});
