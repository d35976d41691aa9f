/**
 * `deno run --allow-all tests/bench/scaling_bench.ts` (the second part of
 * `deno task bench`): does the appliance scale with `[server] workers`? wrk
 * (32 connections) against nginx with 1 and N worker processes and against
 * `securix serve` (audit on, the realistic 50-rule file loaded) with
 * workers = 1 and N, N = the cores; runs alternate, medians are reported.
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
}

async function wrk(url: string, headers: Record<string, string>): Promise<Result> {
  const args = [`-t2`, `-c${CONNECTIONS}`, `-d${DURATION}`, "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const out = await new Deno.Command("wrk", { args: [...args, url], stdout: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (/Non-2xx/.test(text)) console.error(`${url}: non-2xx answers\n${text}`);
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    return m ? Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1) : NaN;
  };
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0),
    p50: ms("50"),
    p99: ms("99"),
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
    async stop() {
      await server.stop();
      await temp.cleanup();
    },
  };
}

const dir = await Deno.makeTempDir({ prefix: "securix-scaling-" });
const upstreamPort = freePort();
const upstream = await startNginx(dir, "upstream", CORES, upstreamServer(upstreamPort));
const targets: { name: string; workers: number; url: string; headers: Record<string, string> }[] =
  [];
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
}
const runs = new Map<string, Result[]>();
try {
  for (const t of targets) await wrk(t.url, t.headers); // warm-up, not counted
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const key = `${t.name}|${t.workers}`;
      runs.set(key, [...runs.get(key) ?? [], await wrk(t.url, t.headers)]);
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
  };
};
console.log(
  `\n${CONNECTIONS} connections, ${DURATION} per run, median of ${ROUNDS} alternated runs, ${navigator.hardwareConcurrency} cores\n`,
);
console.log("| target | workers | req/s | × nginx (same workers) | p50 ms | p99 ms |");
console.log("|---|---|---|---|---|---|");
for (const t of targets) {
  const r = median(runs.get(`${t.name}|${t.workers}`)!);
  const nginx = median(runs.get(`nginx|${t.workers}`)!);
  console.log(
    `| ${t.name} | ${t.workers} | ${Math.round(r.rps)} | ${(r.rps / nginx.rps).toFixed(2)} | ${
      r.p50.toFixed(2)
    } | ${r.p99.toFixed(2)} |`,
  );
}
