/**
 * Starts the benchmarked appliance (audit on, the 50-rule file) on a free
 * port with its upstream, drives it with wrk for PROFILE_SECONDS, and exits:
 * run it under `--v8-flags=--prof` (or `perf`) to see where the serving
 * thread's time goes. Prints the serving thread's CPU µs per request.
 *
 *   deno run -A --v8-flags=--prof,--logfile=/tmp/v8.log tests/bench/profile_appliance.ts
 *   node --prof-process /tmp/v8.log
 *
 * With PROFILE_OUT=file.cpuprofile, the serving isolate's own V8 CPU profile
 * (node:inspector) is written there (open it in Chrome DevTools) and its
 * self time per function and per file printed.
 */
import { freePort } from "../helpers/process.ts";
import { fiftyRules } from "./rule_sets.ts";
import { seedApp, seedConnection } from "../helpers/seed.ts";
import { serveRuntime } from "../helpers/serve_runtime.ts";
import { openTempAppliance } from "../helpers/temp_appliance.ts";

const SECONDS = Number(Deno.env.get("PROFILE_SECONDS") ?? 8);
const CONNECTIONS = Number(Deno.env.get("PROFILE_CONNECTIONS") ?? 32);
const TOKEN = "bench-access-token";

const upstreamPort = freePort();
const upstream = new Deno.Command(Deno.execPath(), {
  args: [
    "eval",
    `Deno.serve({hostname:"127.0.0.1",port:${upstreamPort},onListen(){}},(r)=>r.headers.get("authorization")==="Bearer ${TOKEN}"?new Response('{"messages":[]}',{headers:{"content-type":"application/json"}}):new Response("no",{status:401}));`,
  ],
}).spawn();

const temp = await openTempAppliance({
  raw: {
    rules: fiftyRules(),
    server: { base_domain: "localhost" },
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
const port = freePort();
const served = await serveRuntime(temp.appliance, port, { audit: true });
await new Promise((r) => setTimeout(r, 500));
const cpu = () => {
  const stat = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${Deno.pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
};
const args = [
  "-t2",
  `-c${CONNECTIONS}`,
  `-d${SECONDS}s`,
  "--latency",
  "-H",
  "Host: github.api.localhost",
  "-H",
  `securix-api-key: ${apiKey}`,
  "-H",
  "securix-entity-id: bench-user",
  "-H",
  "securix-agent-id: bench-agent",
  `http://127.0.0.1:${port}/repos/o/r`,
];
const profileOut = Deno.env.get("PROFILE_OUT");
const profiler = profileOut ? await startProfiler() : null;
const before = cpu();
const out = await new Deno.Command("wrk", { args, stdout: "piped" }).output();
const used = cpu() - before;
if (profiler && profileOut) {
  const profile = await profiler.stop();
  await Deno.writeTextFile(profileOut, JSON.stringify(profile));
  printSelfTime(profile);
}
const text = new TextDecoder().decode(out.stdout);
const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
console.log(text);
console.log(`serving thread: ${(used / requests).toFixed(1)} µs/request`);
await served.stop();
await temp.cleanup();
upstream.kill();
await upstream.status;

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

async function startProfiler(): Promise<{ stop(): Promise<CpuProfile> }> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) =>
      session.post(
        method,
        params ?? {},
        (error, result) => error ? reject(error) : resolve(result as Record<string, unknown>),
      )
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 100 });
  await post("Profiler.start");
  return {
    async stop() {
      const { profile } = await post("Profiler.stop");
      session.disconnect();
      return profile as CpuProfile;
    },
  };
}

function printSelfTime(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const short = url.replace(/^.*\/(node_modules\/\.deno\/[^/]+|src|ext:[a-z_]+)\//, "$1/");
    const key = `${functionName || "(anonymous)"} ${short}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + dt);
    const f = url ? short.replace(/:\d+$/, "") : functionName;
    file.set(f, (file.get(f) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, v]) => `${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`).join("\n");
  console.log(`self time by function:\n${top(fn, 45)}\n\nself time by file:\n${top(file, 30)}`);
}
