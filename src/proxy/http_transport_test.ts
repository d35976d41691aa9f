import assert from "node:assert/strict";
import { httpTransport } from "./http_transport.ts";
import type { UpstreamRequest } from "./upstream_transport.ts";

const encoder = new TextEncoder();

function request(url: string, init: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: "GET",
    url: new URL(url),
    headers: [],
    body: null,
    signal: new AbortController().signal,
    ...init,
  };
}

/**
 * A raw-TCP provider: `answer` gets each request's head (bodies are not
 * expected) and the index of its connection, and returns the bytes to send
 * (the connection closes after one with `connection: close`), or null to
 * close the connection without answering.
 */
function rawUpstream(answer: (head: string, connection: number) => string | null) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  let connections = 0;
  let closedByPeer = 0;
  const serving: Promise<void>[] = [];
  const open = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn, index: number) => {
    open.add(conn);
    const buf = new Uint8Array(16 * 1024);
    let pending = "";
    try {
      for (let i = 0; i < 100; i++) {
        const n = await conn.read(buf);
        if (n === null) {
          closedByPeer++;
          break;
        }
        pending += new TextDecoder().decode(buf.subarray(0, n));
        const end = pending.indexOf("\r\n\r\n");
        if (end < 0) continue;
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        heads.push(head);
        const reply = answer(head, index);
        if (reply === null) break;
        await conn.write(encoder.encode(reply));
        if (/\r\nconnection: close\r\n/i.test(reply)) break;
      }
    } catch {
      /* reset by the peer */
    } finally {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) serving.push(serve(conn, connections++));
    } catch { /* closed */ }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    heads,
    get closedByPeer() {
      return closedByPeer;
    },
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed meanwhile */ }
      }
      await accepting;
      await Promise.all(serving);
    },
  };
}

Deno.test("http transport: a compressed answer passes through byte for byte, with its headers", async () => {
  const gzip = new Uint8Array(
    await new Response(
      new Blob([JSON.stringify({ items: Array(50).fill("x") })]).stream().pipeThrough(
        new CompressionStream("gzip"),
      ),
    ).arrayBuffer(),
  );
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(gzip, {
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
      }),
  );
  const transport = httpTransport();
  try {
    const res = await transport.forward(request(`http://127.0.0.1:${upstream.addr.port}/`));
    assert.equal(res.status, 200);
    assert.equal(res.decoded, false);
    assert.equal(new Headers(res.headers).get("content-encoding"), "gzip");
    assert.equal(new Headers(res.headers).get("content-length"), String(gzip.length));
    assert.deepEqual(new Uint8Array(await new Response(res.body).arrayBuffer()), gzip);
  } finally {
    transport.close?.();
    await upstream.shutdown();
  }
});

Deno.test("http transport: HEAD, 204 and 304 answers have no body", async () => {
  const upstream = rawUpstream((head) => {
    const status = head.split(" ")[1] === "/none" ? "204 No Content" : "200 OK";
    return `HTTP/1.1 ${status}\r\ncontent-length: ${status.startsWith("204") ? 0 : 5120}\r\n\r\n`;
  });
  const transport = httpTransport();
  try {
    const head = await transport.forward(request(`${upstream.url}/file`, { method: "HEAD" }));
    assert.equal(head.body, null);
    assert.equal(new Headers(head.headers).get("content-length"), "5120");
    const none = await transport.forward(request(`${upstream.url}/none`));
    assert.equal(none.status, 204);
    assert.equal(none.body, null);
  } finally {
    transport.close?.();
    await upstream.close();
  }
});

/**
 * Connection 0 answers once, then drops the next request unanswered, as a
 * provider does when its idle timeout races our reuse of the connection.
 */
function droppingUpstream() {
  let answered = 0;
  return rawUpstream((_head, connection) =>
    connection === 0 && answered++ > 0 ? null : "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
  );
}

Deno.test("http transport: a kept-alive connection the provider dropped is retried once for a bodyless request only", async () => {
  const transport = httpTransport();
  const upstream = droppingUpstream();
  try {
    const first = await transport.forward(request(`${upstream.url}/a`));
    assert.equal(await new Response(first.body).text(), "ok");
    const second = await transport.forward(request(`${upstream.url}/b`));
    assert.equal(await new Response(second.body).text(), "ok", "retried on a new connection");
    assert.deepEqual(upstream.heads.map((h) => h.split(" ")[1]), ["/a", "/b", "/b"]);
  } finally {
    await upstream.close();
  }
  // A body cannot be sent twice: the same race is the caller's error to see.
  const again = droppingUpstream();
  try {
    const first = await transport.forward(request(`${again.url}/a`));
    assert.equal(await new Response(first.body).text(), "ok");
    await assert.rejects(transport.forward(request(`${again.url}/upload`, {
      method: "POST",
      headers: [["content-length", "2"]],
      body: new Blob(["hi"]).stream(),
    })));
    assert.deepEqual(again.heads.map((h) => h.split(" ")[1]), ["/a", "/upload"]);
  } finally {
    transport.close?.();
    await again.close();
  }
});

Deno.test("http transport: aborting drops the upstream connection and never resends; a body cut short is an error", async () => {
  const upstream = rawUpstream((head) => {
    const path = head.split(" ")[1];
    if (path === "/hang") return "";
    if (path === "/short" || path === "/long") {
      const length = path === "/short" ? 100 : 1_000_000;
      return `HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\nconnection: close\r\n\r\nonly part`;
    }
    return "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
  });
  const transport = httpTransport();
  try {
    // Warm a kept-alive connection first: Deno's node:http resends a request
    // destroyed on a reused connection unless told not to.
    const warm = await transport.forward(request(`${upstream.url}/warm`));
    assert.equal(await new Response(warm.body).text(), "ok");
    const controller = new AbortController();
    const pending = transport.forward(request(`${upstream.url}/hang`, {
      method: "POST",
      headers: [["content-length", "2"]],
      body: new Blob(["hi"]).stream(),
      signal: controller.signal,
    }));
    setTimeout(() => controller.abort(), 100);
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const ended = await Promise.race([
      pending.then(() => "answered", () => "rejected"),
      new Promise((r) => deadline = setTimeout(() => r("still pending after 5 s"), 5_000)),
    ]);
    clearTimeout(deadline);
    assert.equal(ended, "rejected");
    for (let i = 0; i < 50 && upstream.closedByPeer === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(upstream.closedByPeer, 1, "the upstream saw the connection close");
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(upstream.heads.map((h) => h.split(" ")[1]), ["/warm", "/hang"], "sent once");

    // Small answers are read whole before they are handed over, larger ones
    // stream: either way a body cut short is never taken as whole.
    for (const path of ["/short", "/long"]) {
      await assert.rejects(async () => {
        const short = await transport.forward(request(`${upstream.url}${path}`));
        await new Response(short.body).arrayBuffer();
      }, path);
    }
  } finally {
    transport.close?.();
    await upstream.close();
  }
});
