/**
 * A served appliance with one app (key, agent-1) whose entity "alice" has an
 * active gmail connection to a local upstream that answers 200 for the
 * right token: the least a request-edge test needs, no consent flow.
 */
import { freePort } from "./process.ts";
import { seedApp, seedConnection } from "./seed.ts";
import { serveRuntime } from "./serve_runtime.ts";
import { openTempAppliance } from "./temp_appliance.ts";

const TOKEN = "upstream-token-1";

/** `trustProxy` is `server.trust_proxy`; `maxFailures` is `auth_lockout.max_failures`. */
export async function served(trustProxy: boolean | string[], maxFailures = 20) {
  const port = freePort();
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      req.headers.get("authorization") === `Bearer ${TOKEN}`
        ? Response.json({ messages: [] })
        : Response.json({ error: "bad token" }, { status: 401 }),
  );
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${port}`, base_domain: "localhost", trust_proxy: trustProxy },
      providers: {
        gmail: {
          client_id: "c",
          client_secret: "s",
          api_base_url: `http://127.0.0.1:${upstream.addr.port}`,
        },
      },
      // The default (20 a minute) is what the first test runs against.
      ...(maxFailures === 20 ? {} : { auth_lockout: { max_failures: maxFailures } }),
    },
  });
  const { appliance } = temp;
  const { app, apiKey } = await seedApp(appliance, { name: "demo" });
  await seedConnection(appliance, {
    id: "conn_1",
    appId: app.id,
    entityId: "alice",
    provider: "gmail",
    accessToken: TOKEN,
  });
  const server = await serveRuntime(appliance, port);
  const base = `http://127.0.0.1:${port}`;
  const good = {
    "securix-api-key": apiKey,
    "securix-entity-id": "alice",
    "securix-agent-id": "agent-1",
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.stop();
  };
  return {
    port,
    temp,
    base,
    good,
    appliance,
    runtime: server.runtime,
    stop,
    async close() {
      await stop();
      await upstream.shutdown();
      await temp.cleanup();
    },
  };
}

export type Served = Awaited<ReturnType<typeof served>>;
