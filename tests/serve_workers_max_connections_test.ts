/**
 * `server.max_connections` is the whole process's cap, also with several
 * serving isolates: a real `securix serve` holds at most that many client
 * connections at once however the kernel spreads them over the isolates
 * (SO_REUSEPORT), and a total below the isolates wanted runs fewer isolates
 * instead of one that sheds everything.
 */
import assert from "node:assert/strict";
import { startServeProcess } from "./helpers/process.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const OPENED = 16;
const HALF_HEAD = new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: x\r\n");

async function until(what: string, probe: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whatever the server sent on `conn` within `ms` (a shed connection gets its 503 at once). */
async function answerWithin(conn: Deno.Conn, ms: number): Promise<string> {
  const buf = new Uint8Array(512);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const n = await Promise.race([
    conn.read(buf).catch(() => null),
    new Promise<null>((r) => timer = setTimeout(() => r(null), ms)),
  ]);
  clearTimeout(timer);
  return n ? new TextDecoder().decode(buf.subarray(0, n)) : "";
}

/**
 * Opens OPENED connections that each send half a request head and so stay
 * open (header timeout 10 s); how many the appliance holds rather than sheds.
 */
async function heldConnections(port: number): Promise<number> {
  const conns: Deno.Conn[] = [];
  try {
    for (let i = 0; i < OPENED; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(conn);
      await conn.write(HALF_HEAD).catch(() => 0);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const answers = await Promise.all(conns.map((conn) => answerWithin(conn, 1_000)));
    for (const answer of answers) {
      if (answer) assert.match(answer, /^HTTP\/1\.1 503 [\s\S]*SX-OVERLOADED/);
    }
    return answers.filter((answer) => answer === "").length;
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch { /* closed by the server */ }
    }
  }
}

async function serveWith(
  workers: number,
  maxConnections: number,
  run: (
    serve: Awaited<ReturnType<typeof startServeProcess>>,
  ) => Promise<void>,
): Promise<void> {
  const temp = await openTempAppliance({
    raw: {
      server: {
        base_domain: "localhost",
        workers,
        max_connections: maxConnections,
        // The startup health probe's keep-alive connection must not hold a slot during the count.
        idle_timeout_ms: 1_000,
      },
    },
  });
  temp.appliance.close();
  const serve = await startServeProcess({ cwd: temp.dir, timeoutMs: 60_000 });
  try {
    await until(
      "the serving isolates",
      () => /Workers: \d+ serving isolates on port/.test(serve.output()),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    await run(serve);
  } finally {
    assert.equal(await serve.stop(), 0, serve.output());
    await temp.cleanup();
  }
}

Deno.test("serve/workers: max_connections 3 over 2 isolates is 2 + 1, and the process holds at most 3", async () => {
  await serveWith(2, 3, async (serve) => {
    assert.match(
      serve.output(),
      /Connections: up to 2 per isolate \(server\.max_connections 3 shared: 2 \+ 1\)/,
    );
    const held = await heldConnections(serve.port);
    assert.ok(
      held <= 3,
      `${held} connections held, server.max_connections is 3\n${serve.output()}`,
    );
    assert.ok(held >= 1, serve.output());
  });
});

Deno.test("serve/workers: max_connections 2 with 3 workers runs 2 isolates of 1, says why once, holds at most 2", async () => {
  await serveWith(3, 2, async (serve) => {
    const output = serve.output();
    assert.match(output, /Workers: 2 serving isolates on port/);
    const why = /Workers: 2 serving isolates instead of 3: server\.max_connections 2 leaves none/g;
    assert.equal(output.match(why)?.length, 1, output);
    assert.match(output, /shared: 1 \+ 1\)/);
    const held = await heldConnections(serve.port);
    assert.ok(held <= 2, `${held} connections held, server.max_connections is 2\n${output}`);
  });
});
