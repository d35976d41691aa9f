/**
 * With `[server] workers = 2`, the one audit writer lives in the main
 * isolate: when it falls behind (the write lock held elsewhere), the serving
 * isolate's proxy refuses with SX-AUDIT-BACKLOG too, and once the lock goes
 * every accepted call is written and the chain verifies.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../src/config/load.ts";
import { runCliProcess, startServeProcess, untilWorkers } from "./helpers/process.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { holdWriteLock } from "./helpers/write_lock.ts";

const LIMIT = 200;

Deno.test("serve/workers: the main isolate's audit backlog refuses calls in every isolate", async () => {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response('{"ok":true}', { headers: { "content-type": "application/json" } }),
  );
  const temp = await openTempAppliance({
    raw: {
      server: { workers: 2 },
      audit: { max_backlog: LIMIT },
      providers: {
        github: {
          client_id: "c",
          client_secret: "s",
          api_base_url: `http://127.0.0.1:${upstream.addr.port}`,
        },
      },
    },
  });
  const { app, apiKey } = await seedApp(temp.appliance, { name: "flood", agentId: "agent-1" });
  await seedConnection(temp.appliance, {
    id: "con_flood",
    appId: app.id,
    entityId: "alice",
    provider: "github",
    accessToken: "tok",
  });
  temp.appliance.close();
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  let lock: Awaited<ReturnType<typeof holdWriteLock>> | null = null;
  try {
    server = await startServeProcess({ cwd: temp.dir });
    const proc = server;
    await untilWorkers(proc, 2);
    const headers = {
      "securix-api-key": apiKey,
      "securix-entity-id": "alice",
      "securix-agent-id": "agent-1",
    };
    const call = async () => {
      const res = await fetch(`${proc.baseUrl}/proxy/github/repos/o/r`, { headers, client });
      const body = await res.text();
      return res.status === 503 && body.includes("SX-AUDIT-BACKLOG") ? "refused" : res.status;
    };
    // Warm both isolates' caches, and let their records be written.
    for (let i = 0; i < 20; i++) assert.equal(await call(), 200);
    await new Promise((r) => setTimeout(r, 500));

    const { config } = await loadConfig({ cwd: temp.dir, env: () => undefined });
    lock = await holdWriteLock(config);
    let accepted = 0;
    let refusedInARow = 0;
    // Refusals start once the main writer holds LIMIT events; 40 in a row (on fresh
    // connections, spread over both isolates) say every isolate refuses.
    const floodDeadline = Date.now() + 20_000;
    while (refusedInARow < 40) {
      assert.ok(Date.now() < floodDeadline, `no steady refusal; ${accepted} accepted`);
      const outcome = await call();
      if (outcome === "refused") refusedInARow++;
      else {
        assert.equal(outcome, 200);
        accepted++;
        refusedInARow = 0;
      }
    }
    assert.ok(accepted >= LIMIT, `refused before the limit (${accepted} accepted)`);
    // A serving isolate learns of the backlog within a watch tick; a few pass meanwhile.
    assert.ok(accepted < LIMIT + 50, `${accepted} accepted past a limit of ${LIMIT}`);
    await lock.release();
    lock = null;

    assert.equal(await server.stop("SIGTERM"), 0, server.output());
    server = null;
    const verified = await runCliProcess(["audit", "verify"], { cwd: temp.dir });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const exported = await runCliProcess(["audit", "export", "--kind", "proxy.request"], {
      cwd: temp.dir,
    });
    const records = exported.stdout.trim().split("\n").filter(Boolean).length;
    assert.equal(records, 20 + accepted, "every accepted call is recorded once the lock goes");
  } finally {
    client.close();
    await lock?.release();
    await server?.stop("SIGKILL");
    await upstream.shutdown();
    await temp.cleanup();
  }
});
