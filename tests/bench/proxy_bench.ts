/**
 * `deno task bench`: one run, one table. A local upstream API, nginx
 * (proxy_pass with keepalive and the same injected header) and the appliance
 * (a real connection in an encrypted vault, audit on and off) are each driven
 * by wrk on loopback; ratios are against baselines measured in the same run.
 */
import process from "node:process";
import { freePort } from "../helpers/process.ts";
import { seedApp, seedConnection } from "../helpers/seed.ts";
import { openTempAppliance } from "../helpers/temp_appliance.ts";
import { serveRuntime } from "../helpers/serve_runtime.ts";

const DURATION = Deno.env.get("BENCH_DURATION") ?? "5s";
const CONNECTIONS = Number(Deno.env.get("BENCH_CONNECTIONS") ?? 32);
// Audit off/on runs alternate this many times; medians are compared.
const PAIRS = Number(Deno.env.get("BENCH_PAIRS") ?? 3);
const TOKEN = "bench-access-token";

function which(cmd: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`] }).outputSync().success;
  } catch {
    return false;
  }
}

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
}

async function wrk(
  name: string,
  url: string,
  headers: Record<string, string>,
  connections = CONNECTIONS,
): Promise<Result> {
  const threads = Math.min(2, connections);
  const args = [`-t${threads}`, `-c${connections}`, `-d${DURATION}`, "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  const out = await new Deno.Command("wrk", { args: [...args, url], stdout: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? 0);
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(us|ms|s)`).exec(text);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
  };
  if (!/ 2\d\d /.test(text) && /Non-2xx/.test(text)) {
    console.error(`${name}: non-2xx answers\n${text}`);
  }
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  return { name, rps, p50: ms("50"), p99: ms("99"), requests };
}

interface ApplianceRun extends Result {
  /** CPU time of this process (serving and audit threads) per request, µs. */
  cpuUs: number;
  /** The same by thread kind (Linux only): serving, audit, V8 helpers, other. */
  threadsUs: Record<string, number>;
}

const mid = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

function median(runs: ApplianceRun[]): ApplianceRun {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const kinds = [...new Set(runs.flatMap((r) => Object.keys(r.threadsUs)))];
  return {
    ...sorted[Math.floor(sorted.length / 2)],
    cpuUs: mid(runs.map((r) => r.cpuUs)),
    threadsUs: Object.fromEntries(kinds.map((k) => [k, mid(runs.map((r) => r.threadsUs[k] ?? 0))])),
  };
}

/** CPU µs used so far by each kind of thread of this process, from /proc (empty elsewhere). */
function threadCpu(): Record<string, number> {
  const used: Record<string, number> = {};
  try {
    for (const task of Deno.readDirSync(`/proc/${Deno.pid}/task`)) {
      const stat = Deno.readTextFileSync(`/proc/${Deno.pid}/task/${task.name}/stat`);
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const kind = Number(task.name) === Deno.pid
        ? "serving"
        : name.startsWith("worker-")
        ? "audit"
        : name.startsWith("V8 ")
        ? "V8 helpers"
        : "other";
      // utime + stime, in clock ticks (100 per second on Linux).
      used[kind] = (used[kind] ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10_000;
    }
  } catch {
    // Not Linux: the per-thread split is left out.
  }
  return used;
}

/** Runs `code` with `deno eval` and waits (bounded) until it answers on `port`. */
async function evalServer(code: string, port: number): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      await (await fetch(`http://127.0.0.1:${port}/`)).body?.cancel();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return child;
}

async function startUpstream(port: number): Promise<Deno.ChildProcess> {
  const code =
    `Deno.serve({hostname:"127.0.0.1",port:${port},onListen(){}},(r)=>r.headers.get("authorization")==="Bearer ${TOKEN}"?new Response('{"messages":[]}',{headers:{"content-type":"application/json"}}):new Response("no",{status:401}));`;
  return await evalServer(code, port);
}

/**
 * The floor Deno itself sets: a bare Deno.serve + fetch forwarder with no
 * auth, vault, audit or timeout. The appliance cannot beat it.
 */
async function startDenoFloor(port: number, upstreamPort: number): Promise<Deno.ChildProcess> {
  const code =
    `Deno.serve({hostname:"127.0.0.1",port:${port},onListen(){}},async(r)=>{const h=new Headers(r.headers);h.delete("host");h.set("authorization","Bearer ${TOKEN}");const u=await fetch("http://127.0.0.1:${upstreamPort}"+new URL(r.url).pathname,{headers:h});return new Response(u.body,{status:u.status,headers:u.headers});});`;
  return await evalServer(code, port);
}

async function startNginx(
  port: number,
  upstreamPort: number,
  dir: string,
): Promise<Deno.ChildProcess> {
  const conf = `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx.err;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir};
  fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream api { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server { listen 127.0.0.1:${port};
    location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer ${TOKEN}"; } } }`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  const child = new Deno.Command("nginx", { args: ["-c", `${dir}/nginx.conf`], stderr: "inherit" })
    .spawn();
  await new Promise((r) => setTimeout(r, 500));
  return child;
}

async function startAppliance(upstreamPort: number, audit: boolean) {
  const temp = await openTempAppliance({
    raw: {
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
  const { appliance } = temp;
  const { app, apiKey: secret } = await seedApp(appliance, {
    name: "bench",
    agentId: "bench-agent",
  });
  await seedConnection(appliance, {
    id: "con_bench",
    appId: app.id,
    entityId: "bench-user",
    provider: "github",
    accessToken: TOKEN,
  });
  const port = freePort();
  const served = await serveRuntime(appliance, port, { audit });
  const headers = {
    Host: "github.api.localhost",
    "securix-api-key": secret,
    "securix-entity-id": "bench-user",
    "securix-agent-id": "bench-agent",
  };
  return {
    url: `http://127.0.0.1:${port}/repos/o/r`,
    headers,
    async stop() {
      await served.stop();
      await temp.cleanup();
    },
  };
}

if (!which("wrk") || !which("nginx")) {
  console.log("bench: needs wrk and nginx (apt-get install wrk nginx-light)");
  Deno.exit(0);
}
const dir = await Deno.makeTempDir({ prefix: "securix-bench-" });
const upstreamPort = freePort();
const upstream = await startUpstream(upstreamPort);
const nginxPort = freePort();
const nginx = await startNginx(nginxPort, upstreamPort, dir);
const floorPort = freePort();
const floor = await startDenoFloor(floorPort, upstreamPort);
const results: Result[] = [];
const latency: Result[] = [];
const runs = { off: [] as ApplianceRun[], on: [] as ApplianceRun[] };
try {
  results.push(
    await wrk("direct", `http://127.0.0.1:${upstreamPort}/repos/o/r`, {
      Authorization: `Bearer ${TOKEN}`,
    }),
  );
  results.push(await wrk("nginx", `http://127.0.0.1:${nginxPort}/repos/o/r`, {}));
  results.push(
    await wrk("deno floor (bare fetch forwarder)", `http://127.0.0.1:${floorPort}/repos/o/r`, {}),
  );
  // Audit off and on alternate PAIRS times and the medians are compared: one
  // run of a few seconds on a shared machine is too noisy to compare two
  // numbers 5 % apart. The appliance runs in this process, so its CPU time
  // per request (both threads) is measured too, which noise barely moves.
  for (let i = 0; i < PAIRS * 2; i++) {
    const audit = i % 2 === 1;
    const appliance = await startAppliance(upstreamPort, audit);
    const cpu = process.cpuUsage();
    const threads = threadCpu();
    const result = await wrk(
      `appliance (audit ${audit ? "on" : "off"})`,
      appliance.url,
      appliance.headers,
    );
    const used = process.cpuUsage(cpu);
    const threadsAfter = threadCpu();
    (audit ? runs.on : runs.off).push({
      ...result,
      cpuUs: (used.user + used.system) / result.requests,
      threadsUs: Object.fromEntries(
        Object.entries(threadsAfter).map((
          [k, v],
        ) => [k, (v - (threads[k] ?? 0)) / result.requests]),
      ),
    });
    await appliance.stop();
  }
  results.push(median(runs.off), median(runs.on));
  // One connection, one request at a time: the latency the proxy adds to a
  // call, without the queueing a saturated 2-core machine adds on top.
  latency.push(
    await wrk("direct", `http://127.0.0.1:${upstreamPort}/repos/o/r`, {
      Authorization: `Bearer ${TOKEN}`,
    }, 1),
  );
  latency.push(await wrk("nginx", `http://127.0.0.1:${nginxPort}/repos/o/r`, {}, 1));
  const appliance = await startAppliance(upstreamPort, true);
  latency.push(await wrk("appliance (audit on)", appliance.url, appliance.headers, 1));
  await appliance.stop();
} finally {
  nginx.kill("SIGTERM");
  floor.kill("SIGTERM");
  upstream.kill("SIGTERM");
  await nginx.status;
  await floor.status;
  await upstream.status;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
const [direct, ng] = results;
console.log(`\n${CONNECTIONS} connections, ${DURATION} each, loopback\n`);
console.log("| target | req/s | p50 ms | p99 ms | vs nginx | added p50 vs direct |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of results) {
  console.log(
    `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${
      (r.rps / ng.rps).toFixed(2)
    } | ${(r.p50 - direct.p50).toFixed(2)} |`,
  );
}
const floorResult = results.find((r) => r.name.startsWith("deno floor"))!;
const off = median(runs.off);
const on = median(runs.on);
console.log(
  `\nappliance (audit off) vs the deno floor: ${
    (off.rps / floorResult.rps).toFixed(2)
  }x throughput`,
);
const list = (rs: Result[]) => rs.map((r) => r.rps.toFixed(0)).join(", ");
console.log(`audit off runs: ${list(runs.off)} req/s; audit on runs: ${list(runs.on)} req/s`);
console.log(
  `audit on vs off (medians of ${PAIRS}): ${
    ((1 - on.rps / off.rps) * 100).toFixed(1)
  } % throughput lost`,
);
console.log(
  `CPU per request (median): ${off.cpuUs.toFixed(1)} µs audit off, ${
    on.cpuUs.toFixed(1)
  } µs audit on: audit costs ${(on.cpuUs - off.cpuUs).toFixed(1)} µs (${
    ((on.cpuUs / off.cpuUs - 1) * 100).toFixed(1)
  } %)`,
);
const kinds = [...new Set([...Object.keys(off.threadsUs), ...Object.keys(on.threadsUs)])];
if (kinds.length) {
  console.log(
    `  by thread, off → on: ${
      kinds.map((k) =>
        `${k} ${(off.threadsUs[k] ?? 0).toFixed(1)} → ${(on.threadsUs[k] ?? 0).toFixed(1)}`
      ).join(", ")
    } µs`,
  );
}

console.log(`\n1 connection, sequential requests: latency added to one call\n`);
console.log("| target | req/s | p50 ms | p99 ms | added p50 vs direct |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const r of latency) {
  console.log(
    `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${
      (r.p50 - latency[0].p50).toFixed(2)
    } |`,
  );
}
