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
import { benchAppliance, spawnUpstream } from "./bench_appliance.ts";
import { printSelfTime, startProfiler } from "./cpu_profile.ts";
import { serveRuntime } from "../helpers/serve_runtime.ts";

const SECONDS = Number(Deno.env.get("PROFILE_SECONDS") ?? 8);
const CONNECTIONS = Number(Deno.env.get("PROFILE_CONNECTIONS") ?? 32);

const upstreamPort = freePort();
const upstream = spawnUpstream(upstreamPort);

const { temp, apiKey } = await benchAppliance(upstreamPort, { rules: fiftyRules() });
const port = freePort();
// PROFILE_PLAIN=1: the same runtime behind plain Deno.serve instead of the guarded server.
const served = Deno.env.get("PROFILE_PLAIN")
  ? await plainServe(port)
  : await serveRuntime(temp.appliance, port, { audit: true });
await new Promise((r) => setTimeout(r, 500));
async function plainServe(port: number) {
  const { createRuntime } = await import("../../src/http/runtime.ts");
  const runtime = await createRuntime(temp.appliance, { log: () => {}, audit: true });
  runtime.start();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen() {} },
    (req, info) => runtime.handler(req, info as Deno.ServeHandlerInfo<Deno.NetAddr>),
  );
  return {
    async stop() {
      await server.shutdown();
      await runtime.stop();
    },
  };
}
const cpu = () => {
  const stat = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${Deno.pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
};
const args = [
  `-t${Math.min(2, CONNECTIONS)}`,
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
