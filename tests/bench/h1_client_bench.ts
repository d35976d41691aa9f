/**
 * The upstream transports side by side: sequential and 32-concurrent GETs
 * against a local Deno.serve upstream in its own process, so this process's
 * CPU time is the client's alone. Reports req/s and process CPU µs per
 * request, medians of alternated rounds. Run:
 *   deno run --allow-all tests/bench/h1_client_bench.ts
 * Env: H1_BENCH_REQUESTS (per run, default 4000), H1_BENCH_ROUNDS (default 3).
 */
import process from "node:process";
import { fetchTransport } from "../../src/proxy/fetch_transport.ts";
import { h1Transport } from "../../src/proxy/h1/h1_transport.ts";
import { httpTransport } from "../../src/proxy/http_transport.ts";
import type { UpstreamTransport } from "../../src/proxy/upstream_transport.ts";

const REQUESTS = Number(Deno.env.get("H1_BENCH_REQUESTS") ?? 4000);
const ROUNDS = Number(Deno.env.get("H1_BENCH_ROUNDS") ?? 3);
const CONCURRENCY = 32;

const SERVER = `
const body = JSON.stringify({ id: "18f0000000000001", threadId: "18e0000000000001", labelIds: ["INBOX", "UNREAD"], snippet: "x".repeat(120) });
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen({ port }) { console.log(port); } },
  () => new Response(body, { headers: { "content-type": "application/json" } }));
`;

async function startUpstream(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", SERVER],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) text += (await reader.read()).value ?? "";
  reader.releaseLock();
  return {
    url: `http://127.0.0.1:${text.trim()}/gmail/v1/users/me/messages/1?format=metadata`,
    async stop() {
      child.kill();
      await child.status;
    },
  };
}

async function once(transport: UpstreamTransport, url: string): Promise<void> {
  const response = await transport.forward({
    method: "GET",
    url: new URL(url),
    headers: [["accept", "application/json"], ["authorization", "Bearer bench-token"]],
    body: null,
    signal: new AbortController().signal,
  });
  const body = response.body;
  if (body instanceof ReadableStream) await new Response(body).arrayBuffer();
  if (response.status !== 200) throw new Error(`status ${response.status}`);
}

interface Sample {
  rps: number;
  cpuUs: number;
}

async function run(
  transport: UpstreamTransport,
  url: string,
  concurrency: number,
): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < REQUESTS) await once(transport, url);
  }));
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: REQUESTS / seconds, cpuUs: (used.user + used.system) / REQUESTS };
}

const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

const upstream = await startUpstream();
const transports: [string, () => UpstreamTransport][] = [
  ["h1 (own client)", () => h1Transport()],
  ["node:http", () => httpTransport()],
  ["fetch", () => fetchTransport(fetch)],
];
try {
  for (const concurrency of [1, CONCURRENCY]) {
    const samples = new Map<string, Sample[]>(transports.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, make] of transports) {
        const transport = make();
        await run(transport, upstream.url, concurrency); // Warm-up: connections, JIT.
        samples.get(name)!.push(await run(transport, upstream.url, concurrency));
        transport.close?.();
      }
    }
    console.log(
      `\n${
        concurrency === 1 ? "sequential" : `${concurrency} concurrent`
      }, ${REQUESTS} GETs per run, median of ${ROUNDS}`,
    );
    console.log("| transport | req/s | process CPU µs/request |");
    console.log("|---|---|---|");
    for (const [name, list] of samples) {
      const rps = median(list.map((s) => s.rps));
      const cpu = median(list.map((s) => s.cpuUs));
      console.log(`| ${name} | ${rps.toFixed(0)} | ${cpu.toFixed(1)} |`);
    }
  }
} finally {
  await upstream.stop();
}
