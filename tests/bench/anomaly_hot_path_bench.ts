/**
 * `deno run -A --v8-flags=--expose-gc tests/bench/anomaly_hot_path_bench.ts`:
 * what the security engine adds to a call no rule and no block concerns.
 *
 * - chain: `runRequestFilters` as handleProxy calls it, with no filters (a
 *   rule-less appliance before the engine) and with the anomaly filter alone
 *   (a rule-less appliance now), on a read; ns per call.
 * - observe: the detectors' counting of one 15-byte read (exfiltration
 *   counts every answer); ns per call, and heap bytes per call (0 = the
 *   common case allocates nothing).
 * - handler: the runtime's whole handler called in this isolate with a stub
 *   upstream (no sockets, audit off), detectors on (defaults) against all
 *   disabled, alternated; CPU µs per call.
 *
 * Short rounds, medians: the machine is shared. BENCH_ROUNDS (default 7);
 * BENCH_HANDLER=0 leaves the handler rows out.
 */
import process from "node:process";
import { AnomalyEngine } from "../../src/anomalies/anomaly_engine.ts";
import { securitySchema } from "../../src/config/security_schema.ts";
import type { AnomalyStorage } from "../../src/anomalies/anomaly_storage.ts";
import { createRuntime } from "../../src/http/runtime.ts";
import type { CallRecord, Outcome } from "../../src/proxy/completion.ts";
import type { Exchange } from "../../src/proxy/exchange.ts";
import { runRequestFilters } from "../../src/proxy/filter_chain.ts";
import { PeekableBody } from "../../src/proxy/peekable_body.ts";
import type { ProxyFilter } from "../../src/proxy/proxy_filter.ts";
import type { UpstreamTransport } from "../../src/proxy/upstream_transport.ts";
import { seedApp, seedConnection } from "../helpers/seed.ts";
import { openTempAppliance } from "../helpers/temp_appliance.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 7);
const gc = (globalThis as { gc?: () => void }).gc;

const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function engine(security: Record<string, unknown> = {}): AnomalyEngine {
  return new AnomalyEngine({
    // Never reached: nothing trips and nothing is shared in these loops.
    storage: {} as AnomalyStorage,
    security: securitySchema().parse(security),
    now: () => 1_000_000,
  });
}

const caller = {
  app: { id: "app_bench", name: "bench", origins: [], createdAt: 0 },
  agentId: "agent-1",
  entityId: "alice",
  connection: { id: "conn_bench", appId: "app_bench", entityId: "alice", provider: "github" },
} as unknown as Exchange["caller"];

const exchange = {
  route: { provider: "github", host: "github.api.localhost" },
  method: "GET",
  path: "/repos/o/r",
  query: "",
  caller,
  operation: { id: "github.repos.get", class: "read" },
  decision: "allowed",
  rules: [],
  notes: {},
  readsAnswer: false,
} as unknown as Exchange;

/** ns per call of `run` (sync or async), median of ROUNDS rounds after a warm-up round. */
async function time(calls: number, run: () => unknown): Promise<number> {
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) {
      const r = run();
      if (r instanceof Promise) sink += (await r) === null ? 1 : 0;
    }
    if (round > 0) rounds.push((performance.now() - start) * 1e6 / calls);
  }
  if (sink < 0) console.log(sink);
  return mid(rounds);
}

async function chain(filters: readonly ProxyFilter[]): Promise<number> {
  const body = new PeekableBody(null);
  return await time(200_000, () => {
    // As handleProxy calls it: awaited only when it answers a promise.
    const requested = runRequestFilters(filters, exchange, body);
    return requested instanceof Promise ? requested.then((e) => e.length) : requested.length;
  });
}

/** ns per observe of a read, and heap bytes per call (median of rounds, between collections). */
async function observe(): Promise<{ ns: number; bytes: number }> {
  const e = engine();
  const call = {
    started: 0,
    requestId: "req_0123456789abcd0000001",
    clientRequestId: null,
    route: exchange.route,
    method: "GET",
    path: "/repos/o/r",
    note: null,
    clientAddress: "127.0.0.1",
    operation: exchange.operation,
    caller,
    exchange,
    upstreamMs: 1,
  } as CallRecord;
  const outcome: Outcome = { status: 200, error: null, bytesIn: 0, bytesOut: 15 };
  const ns = await time(500_000, () => e.observe(call, outcome));
  const bytes: number[] = [];
  const calls = 100_000;
  for (let round = 0; round < ROUNDS; round++) {
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    for (let i = 0; i < calls; i++) e.observe(call, outcome);
    bytes.push((Deno.memoryUsage().heapUsed - before) / calls);
  }
  return { ns, bytes: gc ? mid(bytes) : NaN };
}

/** The runtime's handler, in-process, with a stub upstream; CPU µs per call for each config. */
async function handler(
  configs: Record<string, Record<string, unknown>>,
  calls = 10_000,
): Promise<Record<string, number[]>> {
  const answer = new TextEncoder().encode('{"messages":[]}');
  const upstream: UpstreamTransport = {
    forward: () =>
      Promise.resolve({
        status: 200,
        statusText: "OK",
        headers: [["Content-Type", "application/json"], ["Content-Length", "15"]],
        body: answer.slice(),
        decoded: false,
      }),
  };
  const targets = [];
  for (const [name, security] of Object.entries(configs)) {
    const temp = await openTempAppliance({
      raw: {
        security,
        server: { base_domain: "localhost" },
        providers: {
          github: { client_id: "b", client_secret: "b", api_base_url: "http://127.0.0.1:9" },
        },
      },
    });
    const { app, apiKey } = await seedApp(temp.appliance, { name: "bench", agentId: "agent-1" });
    await seedConnection(temp.appliance, {
      id: "con_bench",
      appId: app.id,
      entityId: "alice",
      provider: "github",
      accessToken: "t",
    });
    const runtime = await createRuntime(temp.appliance, { log: () => {}, audit: false, upstream });
    const headers = {
      "securix-api-key": apiKey,
      "securix-entity-id": "alice",
      "securix-agent-id": "agent-1",
    };
    targets.push({ name, temp, runtime, headers });
  }
  const info = {
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
  } as Deno.ServeHandlerInfo<Deno.NetAddr>;
  const url = "http://github.api.localhost/repos/o/r";
  const results: Record<string, number[]> = {};
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      // ABBA: neither configuration always runs first (warmer JIT, older heap).
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const before = process.cpuUsage();
        for (let i = 0; i < calls; i++) {
          const res = await t.runtime.handler(new Request(url, { headers: t.headers }), info);
          if (res.status !== 200) throw new Error(`${t.name}: ${res.status} ${await res.text()}`);
          await res.body?.cancel();
        }
        const used = process.cpuUsage(before);
        // Round 0 warms up (caches, JIT).
        if (round > 0) (results[t.name] ??= []).push((used.user + used.system) / calls);
      }
    }
  } finally {
    for (const t of targets) {
      await t.runtime.stop();
      await t.temp.cleanup();
    }
  }
  return results;
}

const anomalies = engine();
const none = await chain([]);
const withFilter = await chain([anomalies.filter]);
const observed = await observe();
const OFF = { enabled: false };
// BENCH_HANDLER=0: the micro rows only (seconds, not a minute).
const cpu = Deno.env.get("BENCH_HANDLER") === "0" ? {} : await handler({
  "detectors on (defaults)": {},
  "all detectors disabled": {
    mass_delete: OFF,
    exfiltration: OFF,
    burst_errors: OFF,
    unusual_hours: OFF,
  },
});

console.log(`medians of ${ROUNDS} rounds\n`);
console.log("| case | per call |\n| --- | ---: |");
console.log(`| runRequestFilters, no filters | ${none.toFixed(1)} ns |`);
console.log(`| runRequestFilters, anomaly filter (no block) | ${withFilter.toFixed(1)} ns |`);
console.log(`| observe, a 15-byte read | ${observed.ns.toFixed(1)} ns |`);
console.log(
  `| observe, heap allocated | ${
    Number.isNaN(observed.bytes) ? "(run with --v8-flags=--expose-gc)" : `${observed.bytes} B`
  } |`,
);
for (const [name, runs] of Object.entries(cpu)) {
  console.log(
    `| handler in-process, ${name} | ${mid(runs).toFixed(2)} µs CPU (runs: ${
      runs.map((r) => r.toFixed(1)).join(", ")
    }) |`,
  );
}
