/**
 * Two appliance nodes on one database (as behind a load balancer, sharing a
 * libSQL server): the console's sign-in lockout is counted in the database,
 * so wrong guesses spread over both nodes lock the admin out on both after
 * the limit, not after N × the limit.
 */
import assert from "node:assert/strict";
import { createAdmin } from "../src/admins/admin_store.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { createRuntime, type Runtime } from "../src/http/runtime.ts";
import { ConsoleClient } from "./helpers/console_client.ts";
import { openTempAppliance, type TempAppliance } from "./helpers/temp_appliance.ts";

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
