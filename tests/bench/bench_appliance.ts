/**
 * What every proxy benchmark sets up: the upstream API (a Deno.serve in its
 * own process answering `{"messages":[]}` to the right bearer token) and an
 * appliance with GitHub pointed at it, app "bench" with agent
 * "bench-agent", and bench-user's connection holding that token.
 */
import { seedApp, seedConnection } from "../helpers/seed.ts";
import { openTempAppliance, type TempAppliance } from "../helpers/temp_appliance.ts";

export const TOKEN = "bench-access-token";

/** The upstream as `deno eval` code, listening on `port`. */
export function upstreamCode(port: number): string {
  return `Deno.serve({hostname:"127.0.0.1",port:${port},onListen(){}},(r)=>r.headers.get("authorization")==="Bearer ${TOKEN}"?new Response('{"messages":[]}',{headers:{"content-type":"application/json"}}):new Response("no",{status:401}));`;
}

/** The upstream in a process of its own (it answers once it has started). */
export function spawnUpstream(port: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), { args: ["eval", upstreamCode(port)] }).spawn();
}

/**
 * A temp appliance with `raw` config merged over the benchmark's (server and
 * github provider), seeded as above. Returns it and the app's API key.
 */
export async function benchAppliance(
  upstreamPort: number,
  raw: { server?: Record<string, unknown>; [key: string]: unknown } = {},
): Promise<{ temp: TempAppliance; apiKey: string }> {
  const { server, ...rest } = raw;
  const temp = await openTempAppliance({
    raw: {
      ...rest,
      server: { base_domain: "localhost", ...server },
      providers: {
        github: {
          client_id: "bench",
          client_secret: "bench",
          api_base_url: `http://127.0.0.1:${upstreamPort}`,
        },
      },
    },
  });
  const { app, apiKey } = await seedApp(temp.appliance, { name: "bench", agentId: "bench-agent" });
  await seedConnection(temp.appliance, {
    id: "con_bench",
    appId: app.id,
    entityId: "bench-user",
    provider: "github",
    accessToken: TOKEN,
  });
  return { temp, apiKey };
}

/** The headers a benchmarked call carries (Host-routed to github). */
export function benchHeaders(apiKey: string): Record<string, string> {
  return {
    Host: "github.api.localhost",
    "securix-api-key": apiKey,
    "securix-entity-id": "bench-user",
    "securix-agent-id": "bench-agent",
  };
}
