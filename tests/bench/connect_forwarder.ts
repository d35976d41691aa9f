/**
 * The ceiling Deno itself sets for a proxy: Deno.serve plus a minimal pooled
 * HTTP/1.1 client on Deno.connect (fixed request head, one read per answer,
 * no parsing beyond the blank line), forwarding to the bench upstream with
 * its token. With `spinUs` > 0 it also burns that much CPU per request in
 * JavaScript, standing in for the appliance's own work: the bench compares
 * the two to show how much of the serving thread's time per request is the
 * kernel's loopback work charged to the sending thread, which grows with load.
 *
 * `GET /__write_cpu` answers the upstream writes' synchronous CPU so far
 * (`{"writes":n,"cpuNs":t}`, this thread's clock around `conn.write`'s call,
 * Linux with --allow-ffi; null elsewhere): the loopback delivery and the
 * receiver's wake-up that the kernel does inside that system call.
 *
 *   deno run -A tests/bench/connect_forwarder.ts UPSTREAM_PORT PORT [SPIN_US]
 */
const [upstreamPort, port, spinUs = 0] = Deno.args.map(Number);
const TOKEN = "bench-access-token";
const utf8 = new TextEncoder();
const pool: Deno.Conn[] = [];
const threadCpuNs = threadClock();
const writes = { writes: 0, cpuNs: 0 };

/** CLOCK_THREAD_CPUTIME_ID through libc, or null where that cannot be had. */
function threadClock(): (() => number) | null {
  try {
    if (Deno.build.os !== "linux") return null;
    const lib = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    });
    const ts = new BigInt64Array(2);
    return () => {
      lib.symbols.clock_gettime(3, ts);
      return Number(ts[0]) * 1e9 + Number(ts[1]);
    };
  } catch {
    return null;
  }
}

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
  if (req.url.endsWith("/__write_cpu")) return Response.json(threadCpuNs ? writes : null);
  if (spinUs > 0) {
    const until = performance.now() + spinUs / 1000;
    while (performance.now() < until) { /* the appliance's work, stood in for */ }
  }
  const conn = pool.pop() ?? await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
  const path = req.url.slice(req.url.indexOf("/", 8));
  const head = utf8.encode(
    `GET ${path} HTTP/1.1\r\nhost: api\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`,
  );
  const t0 = threadCpuNs?.() ?? 0;
  const written = conn.write(head);
  if (threadCpuNs) {
    writes.cpuNs += threadCpuNs() - t0;
    writes.writes++;
  }
  await written;
  const buffer = new Uint8Array(4096);
  const n = await conn.read(buffer);
  if (n === null) {
    conn.close();
    return new Response("upstream closed", { status: 502 });
  }
  // The bench upstream's answers are small and come in one read.
  let end = 0;
  while (end + 3 < n && !(buffer[end] === 13 && buffer[end + 3] === 10)) end++;
  pool.push(conn);
  return new Response(buffer.slice(end + 4, n), {
    headers: { "content-type": "application/json" },
  });
});
