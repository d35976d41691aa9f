import assert from "node:assert/strict";
import { ServingPool, type ServingPoolOptions } from "../src/http/serving_pool.ts";
import type { Config } from "../src/config/load.ts";

const workerUrl = new URL("./helpers/stand_in_serving_worker.ts", import.meta.url);

function options(lockouts: Array<{ key: string; until: number }> = []): ServingPoolOptions {
  return {
    config: { source: null, database: { url: "file::memory:" } } as unknown as Config,
    cwd: Deno.cwd(),
    port: 0,
    isolates: 2,
    budget: new SharedArrayBuffer(12),
    audit: () => {},
    forget: () => {},
    keyFailed: () => Promise.resolve({ windowStart: 0 }),
    keyForgiven: () => {},
    activeLockouts: () => lockouts,
    log: () => {},
    workerUrl,
  };
}

type Seen = Array<{ type: string; listening: boolean; isolates?: number }>;

Deno.test("serving pool: a reload told while the isolates start reaches them once they listen, and lockouts follow", async () => {
  const pool = ServingPool.spawn(options([{ key: "203.0.113.9", until: 9e12 }]));
  try {
    // serve.ts hands reloads to the pool as soon as it exists, before the isolates listen.
    pool.applyRules({ rules: [] });
    pool.auditBacklogged(true);
    await pool.started();
    const [seen] = await pool.snapshots() as unknown as Seen[];
    const types = seen.map((m) => `${m.type}${m.listening ? "+" : ""}`);
    assert.deepEqual(types, ["start", "rules", "backlog", "rules+", "backlog+", "lockOut+"]);
  } finally {
    await pool.stop(1_000);
  }
});

Deno.test("serving pool: a stop while the isolates start ends started() instead of hanging it", async () => {
  const pool = ServingPool.spawn(options());
  const started = pool.started();
  await pool.stop(1_000);
  await assert.rejects(started, /stopped while starting/);
});

Deno.test("serving pool: each isolate is told how many serve, so its rate-limit first claims are a share of the burst", async () => {
  const pool = ServingPool.spawn({ ...options(), isolates: 3 });
  try {
    await pool.started();
    const seen = await pool.snapshots() as unknown as Seen[];
    assert.deepEqual(seen.map((s) => s.find((m) => m.type === "start")?.isolates), [3, 3]);
  } finally {
    await pool.stop(1_000);
  }
});
