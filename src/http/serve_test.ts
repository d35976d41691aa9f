import assert from "node:assert/strict";
import { startServer } from "./serve.ts";

Deno.test("serve: shutdown lets an in-flight request finish and refuses new connections", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => entered = resolve);
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 5_000,
    handler: async () => {
      entered();
      await gate;
      return new Response("finished");
    },
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const inFlight = fetch(url).then((r) => r.text());
  await inside;
  const stopping = server.shutdown();
  setTimeout(release, 200);
  assert.equal(await inFlight, "finished");
  await stopping;
  await assert.rejects(fetch(url));
});

/** 1000 bytes of "x", 100 at a time, `gapMs` apart: an upload still coming in. */
function slowBody(gapMs: number): ReadableStream<Uint8Array> {
  const piece = new TextEncoder().encode("x".repeat(100));
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((r) => setTimeout(r, gapMs));
      if (sent++ === 10) return controller.close();
      controller.enqueue(piece);
    },
  });
}

Deno.test("serve: shutdown lets a request still sending its body finish it (an upload in flight is not cut)", async () => {
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => entered = resolve);
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 5_000,
    handler: async (req) => {
      entered();
      const body = await req.text().catch((error) => `unreadable: ${error}`);
      return new Response(`${body.length} ${body.slice(0, 60)}`);
    },
  });
  const body = slowBody(50);
  const upload = fetch(`http://127.0.0.1:${server.addr.port}/`, { method: "POST", body })
    .then((r) => r.text());
  await inside;
  const stopping = server.shutdown();
  // Deno 2.9's own graceful shutdown made such a body unreadable at once (denoland/deno#36809).
  assert.equal(await upload, `1000 ${"x".repeat(60)}`);
  await stopping;
});

Deno.test("serve: shutdown gives up on a request that never ends after the timeout", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 300,
    handler: () => new Promise<Response>(() => {}),
  });
  const hanging = fetch(`http://127.0.0.1:${server.addr.port}/`).catch(() => null);
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await server.shutdown();
  const took = Date.now() - started;
  assert.ok(took < 2_000, `shutdown took ${took} ms`);
  void hanging;
});

Deno.test("serve: finished resolves after a shutdown that timed out", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 200,
    handler: () => new Promise<Response>(() => {}),
  });
  fetch(`http://127.0.0.1:${server.addr.port}/`).catch(() => null);
  await new Promise((r) => setTimeout(r, 50));
  void server.shutdown();
  const result = await Promise.race([
    server.finished.then(() => "finished"),
    new Promise((r) => setTimeout(() => r("stuck"), 3_000)),
  ]);
  assert.equal(result, "finished");
});

const encoder = new TextEncoder();

/** Resolves with the ms until the peer closed `conn`, or null if it stayed open past `withinMs`. */
async function closedWithin(conn: Deno.Conn, withinMs: number): Promise<number | null> {
  const started = Date.now();
  const buf = new Uint8Array(1024);
  while (Date.now() - started < withinMs) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      conn.read(buf).catch(() => null),
      new Promise<"open">((r) => timer = setTimeout(() => r("open"), withinMs)),
    ]);
    clearTimeout(timer);
    if (n === null) return Date.now() - started;
    if (n === "open") break;
  }
  return null;
}

function quietServer(limits: Parameters<typeof startServer>[0]["limits"], log?: string[]) {
  return startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    limits,
    log: (line) => log?.push(line),
    handler: () => new Response("ok"),
  });
}

Deno.test("serve: a connection that never finishes its request head is closed after the header timeout", async () => {
  const server = quietServer({ headerTimeoutMs: 300 });
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await slow.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n"));
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const [slowMs, silentMs] = await Promise.all([
      closedWithin(slow, 5_000),
      closedWithin(silent, 5_000),
    ]);
    assert.ok(slowMs !== null && slowMs >= 250, `partial head closed after ${slowMs} ms`);
    assert.ok(silentMs !== null && silentMs >= 250, `silent socket closed after ${silentMs} ms`);
    assert.equal(await (await fetch(`http://127.0.0.1:${server.addr.port}/`)).text(), "ok");
  } finally {
    slow.close();
    silent.close();
    await server.shutdown();
  }
});

Deno.test("serve: an idle keep-alive connection is closed after the idle timeout, not while in use", async () => {
  const server = quietServer({ idleTimeoutMs: 400 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    const buf = new Uint8Array(1024);
    for (let i = 0; i < 3; i++) {
      // Requests 200 ms apart keep it open past the idle timeout.
      await conn.write(encoder.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      const n = await conn.read(buf);
      assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1.1 200/);
      await new Promise((r) => setTimeout(r, 200));
    }
    const ms = await closedWithin(conn, 5_000);
    assert.ok(ms !== null, "idle connection stayed open");
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("serve: an upload longer than the idle timeout is not closed as idle", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    limits: { idleTimeoutMs: 200 },
    handler: async (req) => {
      const body = await req.text().catch((error) => `unreadable: ${error}`);
      return new Response(`${body.length}`);
    },
  });
  try {
    const body = slowBody(60);
    const res = await fetch(`http://127.0.0.1:${server.addr.port}/`, { method: "POST", body });
    assert.equal(await res.text(), "1000", "the whole body, read past three idle timeouts");
  } finally {
    await server.shutdown();
  }
});

Deno.test("serve: past the connection cap new connections get 503 SX-OVERLOADED, and are taken again once below it", async () => {
  let shed = 0;
  const counts: number[] = [];
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    limits: { maxConnections: 2, headerTimeoutMs: 30_000 },
    log: () => {},
    onShed: () => shed++,
    onConnections: (open) => counts.push(open),
    handler: () => new Response("ok"),
  });
  const port = server.addr.port;
  const holders = await Promise.all(
    [1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  try {
    for (const h of holders) await h.write(encoder.encode("GET / HTTP/1.1\r\n"));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.openConnections(), 2);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(res.status, 503);
    assert.equal((await res.json()).error.code, "SX-OVERLOADED");
    assert.equal(shed, 1);
  } finally {
    for (const h of holders) h.close();
  }
  for (let i = 0; i < 50 && server.openConnections() > 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "ok");
  assert.equal(Math.max(...counts), 2);
  await server.shutdown();
});

Deno.test("serve: the cap can be raised while serving (the main isolate left alone takes the whole)", async () => {
  let shed = 0;
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    limits: { maxConnections: 1, headerTimeoutMs: 30_000 },
    log: () => {},
    onShed: () => shed++,
    handler: () => new Response("ok"),
  });
  const port = server.addr.port;
  const holder = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await holder.write(encoder.encode("GET / HTTP/1.1\r\n"));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.openConnections(), 1);
    server.setMaxConnections(2);
    assert.equal(server.limits.maxConnections, 2);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), "ok");
    assert.equal(shed, 0);
  } finally {
    holder.close();
    await server.shutdown();
  }
});

Deno.test("serve: an address in use is named, with what to do", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    assert.throws(
      () =>
        startServer({
          listen: { hostname: "127.0.0.1", port },
          signals: false,
          shutdownTimeoutMs: 100,
          listenSetting: "server.metrics_listen",
          handler: () => new Response("ok"),
        }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "SX-LISTEN-IN-USE");
        assert.equal(
          error.message,
          `Cannot listen on 127.0.0.1:${port}: address already in use — stop the other process or set server.metrics_listen`,
        );
        return true;
      },
    );
  } finally {
    taken.close();
  }
});

Deno.test("serve: claiming a port refuses one another process shares with SO_REUSEPORT", () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    assert.throws(
      () =>
        startServer({
          listen: { hostname: "127.0.0.1", port },
          signals: false,
          shutdownTimeoutMs: 100,
          reusePort: true,
          claimPort: true,
          handler: () => new Response("ok"),
        }),
      (error: Error & { code?: string }) => error.code === "SX-LISTEN-IN-USE",
    );
  } finally {
    taken.close();
  }
});

Deno.test("serve: a WebSocket outlives its upgrade and the handler sees the client's own address", async () => {
  const seen: string[] = [];
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    log: () => {},
    handler: (req, info) => {
      seen.push(`${info.remoteAddr.hostname}:${info.remoteAddr.port}`);
      const { socket, response } = Deno.upgradeWebSocket(req);
      socket.onmessage = (e) => socket.send(`echo ${e.data}`);
      return response;
    },
  });
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  const next = () =>
    new Promise<string>((resolve, reject) => {
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onclose = () => reject(new Error("closed"));
      setTimeout(() => reject(new Error("no answer")), 5_000);
    });
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    ws.send("a");
    assert.equal(await next(), "echo a");
    // Past the end of the upgrade request: a per-connection server would have closed it.
    await new Promise((r) => setTimeout(r, 300));
    ws.send("b");
    assert.equal(await next(), "echo b");
    assert.equal(server.openConnections(), 1);
    assert.equal(seen.length, 1);
    assert.match(seen[0], /^127\.0\.0\.1:\d+$/);
    assert.notEqual(Number(seen[0].split(":")[1]), server.addr.port);
  } finally {
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
    await server.shutdown();
  }
});

Deno.test("serve: without --allow-ffi it falls back to plain Deno.serve, says so, and still serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-noffi-" });
  const script = `${dir}/serve_noffi.ts`;
  await Deno.writeTextFile(
    script,
    `import { startServer } from ${JSON.stringify(new URL("./serve.ts", import.meta.url).href)};
const server = startServer({
  listen: { hostname: "127.0.0.1", port: 0 },
  signals: false,
  shutdownTimeoutMs: 500,
  log: (line) => console.log(line),
  handler: () => new Response("plain"),
});
console.log(await (await fetch("http://127.0.0.1:" + server.addr.port + "/")).text());
await server.shutdown();
`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net", "--no-prompt", "--config", `${Deno.cwd()}/deno.json`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(stdout, /connection limits off \(needs --allow-ffi\)/);
    assert.match(stdout, /^plain$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a connection whose upgrade is refused is closed after the answer, not kept beyond the timeouts", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    log: () => {},
    limits: { headerTimeoutMs: 200, idleTimeoutMs: 200 },
    handler: () => new Response("no key", { status: 401 }),
  });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  try {
    await conn.write(
      new TextEncoder().encode(
        "GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\n" +
          "sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      ),
    );
    const buf = new Uint8Array(4096);
    let text = "";
    let closed = false;
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      const n = await Promise.race([
        conn.read(buf).catch(() => null),
        new Promise<number>((r) => setTimeout(() => r(-1), deadline - Date.now())),
      ]);
      if (n === null) {
        closed = true;
        break;
      }
      if (n > 0) text += new TextDecoder().decode(buf.subarray(0, n));
    }
    assert.match(text, /^HTTP\/1\.1 401/);
    assert.ok(closed, "the refused upgrade's connection is closed by the server");
    for (let i = 0; i < 50 && server.openConnections() > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(server.openConnections(), 0);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
    await server.shutdown();
  }
});

Deno.test("serve: a bridged WebSocket counts twice against the connection cap (it holds the loopback pair too)", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 1_000,
    log: () => {},
    limits: { maxConnections: 2 },
    handler: (req) => {
      if (req.headers.get("upgrade") !== "websocket") return new Response("plain");
      const { response } = Deno.upgradeWebSocket(req);
      return response;
    },
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  try {
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    // Without the double count one WebSocket leaves room for this second connection.
    const shed = await fetch(url);
    assert.equal(shed.status, 503);
    assert.equal((await shed.json()).error.code, "SX-OVERLOADED");
  } finally {
    const closed = new Promise((r) => ws.onclose = r);
    ws.close();
    await closed;
    await server.shutdown();
  }
});
