/**
 * The appliance's own JavaScript per proxied call, without sockets or the
 * kernel: the runtime's handler (audit on, the 50-rule file, a connection in
 * the encrypted vault) called in-process with Requests built as Deno.serve
 * builds them, and an upstream transport that answers from memory. Under
 * wrk, the serving thread's CPU per request also holds the loopback network
 * work the kernel charges to whoever sends (it grows with load); this number
 * does not, so it is the one to move when trimming the hot path.
 *
 *   deno run -A tests/bench/handler_bench.ts            # µs per call
 *   PROFILE_OUT=/tmp/h.cpuprofile deno run -A tests/bench/handler_bench.ts
 *   ALLOC_SITES=20 deno run -A tests/bench/handler_bench.ts   # + where the bytes come from
 *
 * After the timed rounds, a further ALLOC_CALLS calls run under V8's
 * sampling heap profiler: the KB allocated per call, which the machine's
 * load does not move (µs per call swings with it; compare those alternated).
 */
import process from "node:process";
import type { UpstreamTransport } from "../../src/proxy/upstream_transport.ts";
import { benchAppliance, TOKEN } from "./bench_appliance.ts";
import { createRuntime } from "../../src/http/runtime.ts";
import { printSelfTime, startProfiler } from "./cpu_profile.ts";
import { sampleAllocations } from "./heap_sampling.ts";
import { fiftyRules } from "./rule_sets.ts";

const CALLS = Number(Deno.env.get("BENCH_CALLS") ?? 30_000);
const ALLOC_CALLS = Number(Deno.env.get("ALLOC_CALLS") ?? 5_000);
const ALLOC_SITES = Number(Deno.env.get("ALLOC_SITES") ?? 0);
const ANSWER = new TextEncoder().encode('{"messages":[]}');

/** Answers like the bench's upstream: 200 JSON to the right token, 401 otherwise. */
const memoryUpstream: UpstreamTransport = {
  forward(request) {
    const auth = request.headers.find(([name]) => name === "authorization")?.[1];
    const ok = auth === `Bearer ${TOKEN}`;
    return Promise.resolve({
      status: ok ? 200 : 401,
      statusText: ok ? "OK" : "Unauthorized",
      headers: [
        ["content-type", "application/json"],
        ["content-length", String(ok ? ANSWER.byteLength : 2)],
        ["date", "Wed, 02 Dec 2026 14:00:00 GMT"],
      ],
      body: ok ? ANSWER.slice() : new TextEncoder().encode("no"),
      decoded: false,
    });
  },
};

// Port 9: nothing listens; the transport below answers from memory.
const { temp, apiKey } = await benchAppliance(9, { rules: fiftyRules() });
const runtime = await createRuntime(temp.appliance, {
  log: () => {},
  audit: true,
  upstream: memoryUpstream,
});
runtime.start();
const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
} as Deno.ServeHandlerInfo<Deno.NetAddr>;
const headers = {
  host: "github.api.localhost",
  "securix-api-key": apiKey,
  "securix-entity-id": "bench-user",
  "securix-agent-id": "bench-agent",
  "user-agent": "wrk",
  accept: "*/*",
};
const call = async () => {
  const res = await runtime.handler(
    new Request("http://github.api.localhost/repos/o/r", { headers }),
    info,
  );
  await res.arrayBuffer();
  return res.status;
};
const first = await call();
if (first !== 200) throw new Error(`expected 200, got ${first}`);
for (let i = 0; i < 3_000; i++) await call();

const servingCpu = () => {
  const stat = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${Deno.pid}/stat`);
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
};
const profileOut = Deno.env.get("PROFILE_OUT");
const profiler = profileOut ? await startProfiler() : null;
const rounds: number[] = [];
let serving = 0;
const wallStart = performance.now();
for (let round = 0; round < 5; round++) {
  const before = process.cpuUsage();
  const s0 = servingCpu();
  for (let i = 0; i < CALLS / 5; i++) await call();
  const used = process.cpuUsage(before);
  serving += servingCpu() - s0;
  rounds.push((used.user + used.system) / (CALLS / 5));
}
if (profiler && profileOut) {
  const profile = await profiler.stop();
  await Deno.writeTextFile(profileOut, JSON.stringify(profile));
  printSelfTime(profile);
}
const wallUs = (performance.now() - wallStart) * 1000 / CALLS;
rounds.sort((a, b) => a - b);
console.log(
  `allowed call in-process (audit on, 50 rules): median ${
    rounds[2].toFixed(1)
  } µs CPU per call (all threads; rounds ${rounds.map((r) => r.toFixed(1)).join(", ")}), ` +
    `serving thread ${(serving / CALLS).toFixed(1)} µs, wall ${
      wallUs.toFixed(1)
    } µs per call one at a time`,
);
const allocated = await sampleAllocations(async () => {
  for (let i = 0; i < ALLOC_CALLS; i++) await call();
});
console.log(
  `allocated: ${(allocated.bytes / ALLOC_CALLS / 1024).toFixed(1)} KB per call ` +
    `(V8 sampling heap profiler, ${ALLOC_CALLS} calls, collected objects included)`,
);
if (ALLOC_SITES > 0) {
  console.log(
    allocated.sites.slice(0, ALLOC_SITES)
      .map(([site, b]) => `${(b / ALLOC_CALLS).toFixed(0).padStart(7)} B  ${site}`).join("\n"),
  );
}
await runtime.stop();
await temp.cleanup();
