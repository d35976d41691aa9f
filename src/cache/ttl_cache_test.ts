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

Deno.test("TtlCache: deleteWhere drops the matching entries only", () => {
  const cache = new TtlCache<{ app: string } | null>(500, () => 0);
  cache.set("k1", { app: "a" });
  cache.set("k2", { app: "b" });
  cache.set("k3", { app: "a" });
  cache.set("miss", null);
  cache.deleteWhere((v) => v?.app === "a");
  assert.equal(cache.get("k1"), undefined);
  assert.equal(cache.get("k3"), undefined);
  assert.deepEqual(cache.get("k2")?.value, { app: "b" });
  assert.equal(cache.get("miss")?.value, null);
});
