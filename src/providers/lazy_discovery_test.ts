import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { LazyDiscovery } from "./lazy_discovery.ts";

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    assert.ok(error instanceof SecurixError, String(error));
    return error.code;
  }
}

Deno.test("LazyDiscovery: backs off exponentially up to the cap, then caches the first success", async () => {
  let now = 0;
  let attempts = 0;
  let up = false;
  const waits: number[] = [];
  const recovered: string[] = [];
  const lazy = new LazyDiscovery("corp", () => {
    attempts++;
    return up ? Promise.resolve("doc") : Promise.reject(new Error("connection refused"));
  }, {
    initialMs: 1_000,
    maxMs: 5_000,
    now: () => now,
    onFailure: (_e, ms) => waits.push(ms),
    onRecovered: (p) => recovered.push(p),
  });

  assert.equal(lazy.peek(), null);
  for (let i = 0; i < 5; i++) {
    assert.equal(await codeOf(lazy.get()), "SX-PROVIDER-UNAVAILABLE");
    // Inside the window: no request to the issuer, the same answer.
    assert.equal(await codeOf(lazy.get()), "SX-PROVIDER-UNAVAILABLE");
    now += waits.at(-1)!;
  }
  assert.deepEqual(waits, [1_000, 2_000, 4_000, 5_000, 5_000]);
  assert.equal(attempts, 5);

  up = true;
  assert.equal(await lazy.get(), "doc");
  assert.equal(lazy.peek(), "doc");
  assert.deepEqual(recovered, ["corp"]);
  up = false;
  assert.equal(await lazy.get(), "doc", "cached: a later outage does not undo discovery");
  assert.equal(attempts, 6);
});

Deno.test("LazyDiscovery: concurrent callers share one attempt; the error names the provider and the wait", async () => {
  let attempts = 0;
  let release: () => void = () => {};
  const lazy = new LazyDiscovery("corp", async () => {
    attempts++;
    await new Promise<void>((r) => release = r);
    throw new Error("issuer answered HTTP 500");
  }, { now: () => 0 });
  const all = Promise.allSettled([lazy.get(), lazy.get(), lazy.warm()]);
  release();
  const [a, b, warmed] = await all;
  assert.equal(attempts, 1);
  assert.equal(warmed.status, "fulfilled", "warm never throws");
  assert.equal(a.status, "rejected");
  assert.equal(b.status, "rejected");
  const error = (a as PromiseRejectedResult).reason as SecurixError;
  assert.equal(error.status, 503);
  assert.deepEqual(error.details, { provider: "corp", retryInS: 1 });
  assert.match(error.message, /corp.*issuer answered HTTP 500.*securix doctor/);
});
