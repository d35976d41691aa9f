/**
 * `deno run --allow-all tests/bench/scaling_bench.ts` (the second part of
 * `deno task bench`): does the appliance scale with `[server] workers`? wrk
 * (32 connections) against nginx with 1 and N worker processes and against
 * `securix serve` (audit on, the realistic 50-rule file loaded) with
 * workers = 1 and N, N = the cores; runs alternate, medians are reported.
 * Beside them, the same appliance served the way proxy_bench.ts serves it
 * (serveRuntime, one isolate; served_appliance.ts in a process of its own):
 * what `serve` adds per request shows as the difference. For each appliance
 * the CPU µs per request of all its process's threads and of its serving
 * threads (the main one and the serving isolates') are read from /proc.
 * The upstream is a second nginx answering from memory, so it is never the
 * bottleneck being measured.
 */
import {
  freePort,
  type ServerProcess,
  startServeProcess,
  untilWorkers,
} from "../helpers/process.ts";
import { benchAppliance, benchHeaders, TOKEN } from "./bench_appliance.ts";
import { fiftyRules } from "./rule_sets.ts";

// `BENCH_ONLY=security` asks `deno task bench` for the security pair alone.
if (Deno.env.get("BENCH_ONLY") === "security") Deno.exit(0);

const DURATION = Deno.env.get("BENCH_DURATION") ?? "5s";
const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 32);
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 3);
const CORES = Number(Deno.env.get("BENCH_WORKERS") ?? navigator.hardwareConcurrency);

interface Result {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** CPU µs per request of the appliance process's threads, and of its serving threads. */
  processUs: number;
  servingUs: number;
}

/**
 * CPU µs used so far by a process's threads (Linux; empty elsewhere): all,
 * and serving (the main thread and the serving isolates: Deno names every
 * worker thread "worker-<n>" in start order, audit and security threads first).
 */
function threadCpu(pid: number, helpers: number): { all: number; serving: number } {
  const used = { all: 0, serving: 0 };
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // utime + stime, in clock ticks (100 per second on Linux).
      const us = (Number(fields[11]) + Number(fields[12])) * 10_000;
      used.all += us;
      const worker = /^worker-(\d+)$/.exec(name);
      if (Number(task.name) === pid || (worker && Number(worker[1]) > helpers)) used.serving += us;
    }
  } catch {
    // Not Linux, or the process is gone: no split.
  }
  return used;
}

async function wrk(
  url: string,
  headers: Record<string, string>,
  cpu: () => { all: number; serving: number } = () => ({ all: NaN, serving: NaN }),
): Promise<Result> {
  const args = [`-t2`, `-c${CONNECTIONS}`, `-d${DURATION}`, "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const before = cpu();
  const out = await new Deno.Command("wrk", { args: [...args, url], stdout: "piped" }).output();
  const after = cpu();
  const text = new TextDecoder().decode(out.stdout);
  if (/Non-2xx/.test(text)) console.error(`${url}: non-2xx answers\n${text}`);
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0),
    p50: ms("50"),
    p99: ms("99"),
    requests,
    processUs: (after.all - before.all) / requests,
    servingUs: (after.serving - before.serving) / requests,
  };
}

async function startNginx(dir: string, name: string, workers: number, server: string) {
  const conf = `worker_processes ${workers}; daemon off; pid ${dir}/${name}.pid;
error_log ${dir}/${name}.err; events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  ${server} }`;
  await Deno.writeTextFile(`${dir}/${name}.conf`, conf);
  const child = new Deno.Command("nginx", { args: ["-c", `${dir}/${name}.conf`] }).spawn();
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

/** The upstream API: nginx answering from memory when the injected token is right. */
function upstreamServer(port: number): string {
  return `server { listen 127.0.0.1:${port};
    location / { default_type application/json;
      if ($http_authorization != "Bearer ${TOKEN}") { return 401; }
      return 200 '{"messages":[]}'; } }`;
}

function proxyServer(port: number, upstreamPort: number): string {
  return `upstream api { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${TOKEN}"; } }`;
}

async function startAppliance(upstreamPort: number, workers: number) {
  const { temp, apiKey } = await benchAppliance(upstreamPort, {
    server: { workers },
    rules: fiftyRules(),
  });
  temp.appliance.close();
  const server: ServerProcess = await startServeProcess({ cwd: temp.dir, timeoutMs: 60_000 });
  await untilWorkers(server, workers, 30_000);
  return {
    url: `${server.baseUrl}/repos/o/r`,
    headers: benchHeaders(apiKey),
    // Audit and security threads start before the serving isolates.
    cpu: () => threadCpu(server.pid, 2),
    async stop() {
      await server.stop();
      await temp.cleanup();
    },
  };
}

/** The same appliance served as proxy_bench.ts serves it, in a process of its own. */
async function startServedAppliance(upstreamPort: number) {
  const { temp, apiKey } = await benchAppliance(upstreamPort, { rules: fiftyRules() });
  temp.appliance.close();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("./served_appliance.ts", import.meta.url).pathname,
      temp.dir,
      String(port),
    ],
    stdout: "null",
  }).spawn();
  for (let i = 0; i < 300; i++) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/healthz`)).body?.cancel();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `http://127.0.0.1:${port}/repos/o/r`,
    headers: benchHeaders(apiKey),
    cpu: () => threadCpu(child.pid, 2),
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await temp.cleanup();
    },
  };
}

const dir = await Deno.makeTempDir({ prefix: "securix-scaling-" });
const upstreamPort = freePort();
const upstream = await startNginx(dir, "upstream", CORES, upstreamServer(upstreamPort));
const targets: {
  name: string;
  workers: number;
  url: string;
  headers: Record<string, string>;
  cpu?: () => { all: number; serving: number };
}[] = [];
const stops: (() => Promise<void>)[] = [];
for (const workers of [...new Set([1, CORES])]) {
  const port = freePort();
  const nginx = await startNginx(dir, `nginx${workers}`, workers, proxyServer(port, upstreamPort));
  stops.push(async () => {
    nginx.kill("SIGTERM");
    await nginx.status;
  });
  targets.push({ name: "nginx", workers, url: `http://127.0.0.1:${port}/repos/o/r`, headers: {} });
  const appliance = await startAppliance(upstreamPort, workers);
  stops.push(() => appliance.stop());
  targets.push({ name: "appliance (audit on, 50 rules)", workers, ...appliance });
  if (workers === 1) {
    const served = await startServedAppliance(upstreamPort);
    stops.push(() => served.stop());
    targets.push({ name: "same, served as in proxy_bench", workers, ...served });
  }
}
const runs = new Map<string, Result[]>();
try {
  for (const t of targets) await wrk(t.url, t.headers); // warm-up, not counted
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const key = `${t.name}|${t.workers}`;
      runs.set(key, [...runs.get(key) ?? [], await wrk(t.url, t.headers, t.cpu)]);
    }
  }
} finally {
  for (const stop of stops) await stop();
  upstream.kill("SIGTERM");
  await upstream.status;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

const median = (results: Result[]): Result => {
  const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return {
    rps: mid(results.map((r) => r.rps)),
    p50: mid(results.map((r) => r.p50)),
    p99: mid(results.map((r) => r.p99)),
    requests: mid(results.map((r) => r.requests)),
    processUs: mid(results.map((r) => r.processUs)),
    servingUs: mid(results.map((r) => r.servingUs)),
  };
};
console.log(
  `\n${CONNECTIONS} connections, ${DURATION} per run, median of ${ROUNDS} alternated runs, ${navigator.hardwareConcurrency} cores\n`,
);
console.log(
  "| target | workers | req/s | × nginx (same workers) | p50 ms | p99 ms | process µs/request | serving µs/request |",
);
console.log("|---|---|---|---|---|---|---|---|");
const us = (value: number) => Number.isNaN(value) ? "" : value.toFixed(1);
for (const t of targets) {
  const r = median(runs.get(`${t.name}|${t.workers}`)!);
  const nginx = median(runs.get(`nginx|${t.workers}`)!);
  console.log(
    `| ${t.name} | ${t.workers} | ${Math.round(r.rps)} | ${(r.rps / nginx.rps).toFixed(2)} | ${
      r.p50.toFixed(2)
    } | ${r.p99.toFixed(2)} | ${us(r.processUs)} | ${us(r.servingUs)} |`,
  );
}
