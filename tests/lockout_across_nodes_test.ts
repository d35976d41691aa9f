/**
 * Two appliance nodes on one database (as behind a load balancer, sharing a
 * libSQL server): the failed-key lockout and the console's sign-in lockout
 * are counted in the database, so wrong guesses spread over both nodes lock
 * the address (or admin) out on both after the limit, not after N × the limit.
 */
import assert from "node:assert/strict";
import { createAdmin } from "../src/admins/admin_store.ts";
import { rateCounters } from "../src/db/schema.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { createRuntime, type Runtime } from "../src/http/runtime.ts";
import { ConsoleClient } from "./helpers/console_client.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance, type TempAppliance } from "./helpers/temp_appliance.ts";
import { LOOPBACK_INFO } from "./helpers/temp_runtime.ts";

const MAX_FAILURES = 4;
const LOCKOUT = { perAccount: 3, perAddress: 50, windowMs: 60_000 };

interface Node {
  runtime: Runtime;
  close(): Promise<void>;
}

/** Another node: its own connection to the same database file, its own runtime and caches. */
async function node(temp: TempAppliance, first: boolean): Promise<Node> {
  const appliance = first ? temp.appliance : await openAppliance(temp.appliance.config);
  const runtime = await createRuntime(appliance, {
    audit: false,
    log: () => {},
    adminLockout: LOCKOUT,
  });
  return {
    runtime,
    async close() {
      await runtime.stop();
      if (!first) appliance.close();
    },
  };
}

async function twoNodes(run: (nodes: Node[], temp: TempAppliance) => Promise<void>) {
  const temp = await openTempAppliance({
    raw: { auth_lockout: { max_failures: MAX_FAILURES, window_s: 60 } },
  });
  const nodes = [await node(temp, true), await node(temp, false)];
  try {
    await run(nodes, temp);
  } finally {
    for (const n of nodes) await n.close();
    await temp.cleanup();
  }
}

async function agents(n: Node, key: string) {
  const res = await n.runtime.handler(
    new Request("http://127.0.0.1/v1/agents", { headers: { "securix-api-key": key } }),
    LOOPBACK_INFO,
  );
  const body = await res.json();
  return { status: res.status, code: body.error?.code as string | undefined, res };
}

Deno.test("lockout across nodes: max_failures wrong keys spread over two nodes lock the address out on both", async () => {
  await twoNodes(async ([a, b], temp) => {
    const { apiKey } = await seedApp(temp.appliance, { name: "demo" });
    // Both nodes hold the good key in their caches before anything fails.
    assert.equal((await agents(a, apiKey)).status, 200);
    assert.equal((await agents(b, apiKey)).status, 200);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const seen = await agents(i % 2 === 0 ? a : b, `sx_bad_${i}`);
      assert.equal(seen.code, "SX-API-KEY-INVALID", `guess ${i}`);
    }
    for (const [name, n] of [["a", a], ["b", b]] as const) {
      const seen = await agents(n, `sx_bad_next_${name}`);
      assert.equal(seen.status, 429, `node ${name}`);
      assert.equal(seen.code, "SX-AUTH-LOCKOUT", `node ${name}`);
      const retryAfter = Number(seen.res.headers.get("retry-after"));
      assert.ok(retryAfter >= 59 && retryAfter <= 60, `node ${name}: Retry-After ${retryAfter}`);
      // Known here now: refused before any key is read, even the good one.
      assert.equal((await agents(n, apiKey)).code, "SX-AUTH-LOCKOUT", `node ${name}, good key`);
    }
  });
});

Deno.test("lockout across nodes: good keys not yet cached give back the failure they reserved", async () => {
  await twoNodes(async ([a, b], temp) => {
    const { app, apiKey } = await seedApp(temp.appliance, { name: "demo" });
    // Checked (not cached) far more often than the limit, on both nodes: each gives its reservation back.
    for (let i = 0; i < MAX_FAILURES * 3; i++) {
      for (const n of [a, b]) n.runtime.forget({ kind: "app", appId: app.id });
      assert.equal((await agents(i % 2 === 0 ? a : b, apiKey)).status, 200, `check ${i}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // give-backs are off the request path
    const [row] = await temp.appliance.database.db.select().from(rateCounters);
    assert.equal(row.count, 0);
    // The limit is intact: it still takes MAX_FAILURES wrong keys to lock the address out.
    for (let i = 0; i < MAX_FAILURES; i++) {
      assert.equal((await agents(b, `sx_bad_${i}`)).code, "SX-API-KEY-INVALID");
    }
    assert.equal((await agents(a, "sx_bad_last")).code, "SX-AUTH-LOCKOUT");
  });
});

Deno.test("lockout across nodes: wrong console passwords spread over two nodes lock the admin out on both", async () => {
  await twoNodes(async (nodes, temp) => {
    await createAdmin(temp.appliance, "ops", "correct horse battery staple");
    const servers = nodes.map((n) =>
      Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        (req, info) => n.runtime.adminHandler!(req, info),
      )
    );
    try {
      const clients = servers.map((s) => new ConsoleClient(`http://127.0.0.1:${s.addr.port}`));
      const signIn = async (client: ConsoleClient, password: string) => {
        const { csrf } = await client.page("/console/sign-in");
        const res = await client.post("/console/sign-in", {
          _csrf: csrf,
          name: "ops",
          password,
          code: "",
        });
        await res.body?.cancel();
        return res;
      };
      for (let i = 0; i < LOCKOUT.perAccount; i++) {
        assert.equal((await signIn(clients[i % 2], `guess-${i}-guess`)).status, 401, `guess ${i}`);
      }
      for (const client of clients) {
        // Even the right password: the account is locked out on every node.
        const res = await signIn(client, "correct horse battery staple");
        assert.equal(res.status, 429);
        assert.ok(Number(res.headers.get("retry-after")) > 0);
      }
    } finally {
      for (const s of servers) await s.shutdown();
    }
  });
});
