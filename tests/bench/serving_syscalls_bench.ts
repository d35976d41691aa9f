/**
 * `deno run -A tests/bench/serving_syscalls_bench.ts` (as root, or wherever
 * strace may attach to this process): the system calls the serving thread
 * makes under wrk, with audit on, the anomaly detectors on (defaults) and a
 * limit rule that applies to the benchmarked call (so rate-limit leases are
 * settled every `share_ms`). SQLite's file I/O on the serving thread
 * (pread64, pwrite64, fsync, fdatasync, fcntl locks) is what the security
 * thread (security_thread.ts) takes away; strace slows the traced thread, so
 * compare per request and per second, not throughput.
 *
 * SYSCALL_SECONDS (default 8) of strace inside a wrk run 2 s longer;
 * SYSCALL_CONNECTIONS (32); SHARE_MS (1000); SYSCALL_TRACE=0 runs wrk untraced.
 */
import { freePort } from "../helpers/process.ts";
import { serveRuntime } from "../helpers/serve_runtime.ts";
import { benchAppliance, spawnUpstream } from "./bench_appliance.ts";

const SECONDS = Number(Deno.env.get("SYSCALL_SECONDS") ?? 8);
const CONNECTIONS = Number(Deno.env.get("SYSCALL_CONNECTIONS") ?? 32);
const SHARE_MS = Number(Deno.env.get("SHARE_MS") ?? 1000);
const TRACE = Deno.env.get("SYSCALL_TRACE") !== "0";
const SQLITE_CALLS = ["pread64", "pwrite64", "fsync", "fdatasync", "fcntl"];

const upstreamPort = freePort();
const upstream = spawnUpstream(upstreamPort);

const { temp, apiKey } = await benchAppliance(upstreamPort, {
  security: { share_ms: SHARE_MS },
  rules: [{
    name: "github_calls",
    target: "github.*",
    effect: "limit",
    rate: "10000000/min",
    per: "agent",
  }],
});
const port = freePort();
const served = await serveRuntime(temp.appliance, port, { audit: true });
await new Promise((r) => setTimeout(r, 500));
const args = [
  "-t2",
  `-c${CONNECTIONS}`,
  `-d${SECONDS + 2}s`,
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
const wrk = new Deno.Command("wrk", { args, stdout: "piped" }).output();
await new Promise((r) => setTimeout(r, 1000));
const requestsBefore = await proxied();
// The main thread's tid is the process id: only the serving thread is traced.
const strace = await new Deno.Command("timeout", {
  // SYSCALL_TRACE=0: the same wrk run untraced, for its latency.
  args: TRACE
    ? ["-s", "INT", String(SECONDS), "strace", "-c", "-p", String(Deno.pid)]
    : [String(SECONDS), "sleep", String(SECONDS + 1)],
  stdout: "piped",
  stderr: "piped",
}).output();
const requestsTraced = (await proxied()) - requestsBefore;
const text = new TextDecoder().decode((await wrk).stdout);
const summary = new TextDecoder().decode(strace.stderr);
console.log(text);
console.log(summary);
let total = 0;
const sqlite = new Map<string, number>();
for (const line of summary.split("\n")) {
  const f = line.trim().split(/\s+/);
  if (f.length < 5 || !/^\d/.test(f[0])) continue;
  const name = f.at(-1)!;
  const calls = Number(f[3]);
  if (name === "total") total = calls;
  else if (SQLITE_CALLS.includes(name)) sqlite.set(name, calls);
}
const sqliteTotal = [...sqlite.values()].reduce((a, b) => a + b, 0);
console.log(
  `traced ${SECONDS} s, ${requestsTraced} proxied requests: ${
    (total / SECONDS).toFixed(0)
  } syscalls/s (${(total / Math.max(1, requestsTraced)).toFixed(2)}/request); SQLite file I/O ${
    (sqliteTotal / SECONDS).toFixed(1)
  }/s (${[...sqlite].map(([k, v]) => `${k} ${v}`).join(", ") || "none"})`,
);
await served.stop();
await temp.cleanup();
upstream.kill();
await upstream.status;

async function proxied(): Promise<number> {
  const text = await (await served.runtime.metrics.render()).text();
  let n = 0;
  for (const m of text.matchAll(/^securix_proxy_requests_total\{[^}]*\} (\d+)/gm)) {
    n += Number(m[1]);
  }
  return n;
}
