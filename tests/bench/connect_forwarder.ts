/**
 * The ceiling Deno itself sets for a proxy: Deno.serve plus a minimal pooled
 * HTTP/1.1 client on Deno.connect (fixed request head, one read per answer,
 * no parsing beyond the blank line), forwarding to the bench upstream with
 * its token. With `spinUs` > 0 it also burns that much CPU per request in
 * JavaScript, standing in for the appliance's own work: the bench compares
 * the two to show how much of the serving thread's time per request is the
 * kernel's loopback work charged to the sending thread, which grows with load.
 *
 *   deno run -A tests/bench/connect_forwarder.ts UPSTREAM_PORT PORT [SPIN_US]
 */
const [upstreamPort, port, spinUs = 0] = Deno.args.map(Number);
const TOKEN = "bench-access-token";
const utf8 = new TextEncoder();
const pool: Deno.Conn[] = [];

Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
  if (spinUs > 0) {
    const until = performance.now() + spinUs / 1000;
    while (performance.now() < until) { /* the appliance's work, stood in for */ }
  }
  const conn = pool.pop() ?? await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
  const path = req.url.slice(req.url.indexOf("/", 8));
  await conn.write(
    utf8.encode(`GET ${path} HTTP/1.1\r\nhost: api\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`),
  );
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
