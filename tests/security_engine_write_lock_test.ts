/**
 * The security engine's database round trips (rate-limit leases, shared
 * anomaly counts, blocks) run off the serving thread: with another process
 * holding the database's write lock, a `securix serve` process keeps
 * answering proxied calls promptly while its syncs wait on their own thread.
 * Were they on the serving thread, the embedded driver would block its event
 * loop for the busy timeout (5 s) at the first sync inside the lock, and
 * every call made meanwhile would stall.
 *
 * Agent 1's calls are timed: the anomaly detectors count them (shared every
 * `share_ms`), no limit applies. Agent 2 calls a limited route at the same
 * time, so rate-limit leases are settled during the lock too; its calls need
 * the database for a new claim, so they may wait and be refused (fail closed),
 * which is not what is measured.
 */
import assert from "node:assert/strict";
import { addAgent } from "../src/agents/agent_store.ts";
import { loadConfig } from "../src/config/load.ts";
import { startServeProcess, untilWorkers } from "./helpers/process.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { holdWriteLock } from "./helpers/write_lock.ts";

const SHARE_MS = 100;
const CALLS = 20;
/** Far above a call on this machine (a few ms), far below the busy timeout a stall lasts. */
const BOUND_MS = 1_500;

Deno.test("security engine: with the write lock held elsewhere, proxied calls still answer promptly while its syncs wait", async () => {
  await lockedCalls(1);
});

Deno.test("security engine, two serving isolates: both answer promptly while the write lock is held", async () => {
  await lockedCalls(2);
});

async function lockedCalls(workers: number): Promise<void> {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response('{"ok":true}', { headers: { "content-type": "application/json" } }),
  );
  const temp = await openTempAppliance({
    raw: {
      // Counts and leases are synced several times while the lock is held.
      security: { share_ms: SHARE_MS },
      server: { workers },
      rules: [{
        name: "github_reads",
        target: "github.*",
        effect: "limit",
        rate: "100000/min",
        burst: 1000,
        per: "agent",
        agents: ["agent-2"],
      }],
      providers: {
        github: {
          client_id: "c",
          client_secret: "s",
          api_base_url: `http://127.0.0.1:${upstream.addr.port}`,
        },
      },
    },
  });
  const { app, apiKey } = await seedApp(temp.appliance, { name: "busy", agentId: "agent-1" });
  await seedConnection(temp.appliance, {
    id: "con_busy",
    appId: app.id,
    entityId: "alice",
    provider: "github",
    accessToken: "tok",
  });
  await addAgent(temp.appliance.database.db, app.id, { agentId: "agent-2" }, temp.appliance);
  temp.appliance.close();
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  let lock: Awaited<ReturnType<typeof holdWriteLock>> | null = null;
  try {
    server = await startServeProcess({ cwd: temp.dir });
    const proc = server;
    await untilWorkers(proc, workers);
    const call = async (agent = "agent-1") => {
      const started = performance.now();
      const res = await fetch(`${proc.baseUrl}/proxy/github/repos/o/r`, {
        headers: {
          "securix-api-key": apiKey,
          "securix-entity-id": "alice",
          "securix-agent-id": agent,
        },
        signal: AbortSignal.timeout(15_000),
        // A fresh connection per call: with several isolates, each gets its share.
        client,
      });
      await res.body?.cancel();
      return { status: res.status, ms: performance.now() - started };
    };
    // Warm the caches and claim the first lease while nothing holds the lock. An
    // isolate whose first claim finds the whole burst leased by the other isolate
    // refuses until that one hands tokens back at its next sync (lease_bucket.ts:
    // sharing may under-admit); on a loaded machine that can take a few intervals.
    const warm = async (agent: string) => {
      for (let tries = 0;; tries++) {
        const { status } = await call(agent);
        if (status !== 429 || tries === 20) return status;
        await new Promise((r) => setTimeout(r, SHARE_MS));
      }
    };
    for (let i = 0; i < 10 * workers; i++) {
      assert.equal((await call()).status, 200);
      assert.equal(await warm("agent-2"), 200);
    }
    await new Promise((r) => setTimeout(r, 3 * SHARE_MS));

    const { config } = await loadConfig({ cwd: temp.dir, env: () => undefined });
    lock = await holdWriteLock(config);
    const lockedAt = performance.now();
    let limited = true;
    let slowest2 = 0;
    const agent2 = (async () => {
      const statuses: number[] = [];
      while (limited) {
        const { status, ms } = await call("agent-2");
        statuses.push(status);
        slowest2 = Math.max(slowest2, ms);
        await new Promise((r) => setTimeout(r, SHARE_MS / 4));
      }
      return statuses;
    })();
    const times: number[] = [];
    // Spread over twenty share intervals, so syncs fall among the calls.
    for (let i = 0; i < CALLS; i++) {
      const { status, ms } = await call();
      assert.equal(status, 200, `call ${i + 1}`);
      times.push(Math.round(ms));
      await new Promise((r) => setTimeout(r, SHARE_MS));
    }
    const heldMs = performance.now() - lockedAt;
    limited = false;
    await lock.release();
    lock = null;
    const statuses = await agent2;
    assert.ok(statuses.every((s) => s === 200 || s === 429), statuses.join(","));
    const slow = times.filter((ms) => ms > BOUND_MS);
    assert.deepEqual(
      slow,
      [],
      `calls answered in ${times.join(", ")} ms while the lock was held (${
        Math.round(heldMs)
      } ms); output:\n${proc.output()}`,
    );
    assert.ok(heldMs >= 20 * SHARE_MS, `the lock was held ${heldMs} ms`);
    // Not vacuous: agent 2's lease ran out inside the lock, and its claim waited on the lock
    // (on the security thread) while agent 1's calls went on.
    assert.ok(slowest2 >= 1_000, `agent 2's slowest call took ${slowest2} ms`);
    console.log(
      `${workers} isolate(s), lock held ${Math.round(heldMs)} ms; agent 1: ${
        times.join(", ")
      } ms; agent 2 slowest ${Math.round(slowest2)} ms (${statuses.join(",")})`,
    );
    // The engine caught up once the lock went: the calls still pass, nothing is stuck.
    await new Promise((r) => setTimeout(r, 3 * SHARE_MS));
    assert.equal((await call()).status, 200);
    assert.equal((await call("agent-2")).status, 200);
  } finally {
    await lock?.release();
    await server?.stop();
    await upstream.shutdown();
    client.close();
    await temp.cleanup();
  }
}
