/**
 * The upstream HTTP/1.1 client (src/proxy/h1) against providers at the TCP
 * level: keep-alive reuse and its limits, idle eviction, connections that
 * close or half-close, timeouts and cancellation ending the socket, the
 * stale-socket retry, request framing kept as given, 1xx skipped, TLS.
 */
import assert from "node:assert/strict";
import { h1Transport } from "../src/proxy/h1/h1_transport.ts";
import type { UpstreamRequest, UpstreamResponse } from "../src/proxy/upstream_transport.ts";
import { rawUpstream, type Wire } from "./helpers/raw_upstream.ts";

function get(url: string, init: Partial<UpstreamRequest> = {}): UpstreamRequest {
  return {
    method: "GET",
    url: new URL(url),
    headers: [],
    body: null,
    signal: new AbortController().signal,
    ...init,
  };
}

async function text(response: UpstreamResponse): Promise<string> {
  const body = response.body;
  if (body === null) return "";
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return await new Response(body).text();
}

const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;

/**
 * Opens connections as the transport would, noting for each whether Nagle's
 * algorithm was turned off on it (`setNoDelay(true)`, TCP_NODELAY; Deno's own
 * connect leaves it on).
 */
function keptConnects(): { noDelay: boolean[]; connect: typeof Deno.connect } {
  const noDelay: boolean[] = [];
  const connect = async (options: Deno.ConnectOptions) => {
    const conn = await Deno.connect(options);
    const at = noDelay.push(false) - 1;
    const set = conn.setNoDelay.bind(conn);
    conn.setNoDelay = (on = true) => {
      noDelay[at] = on;
      set(on);
    };
    return conn;
  };
  return { noDelay, connect: connect as typeof Deno.connect };
}

/** Serves every request on a connection with `answer` until the client leaves. */
function keepAlive(answer: (head: string, wire: Wire) => string | Promise<string>) {
  return async (wire: Wire) => {
    for (;;) {
      const head = await wire.head();
      if (head === null) return;
      await wire.send(await answer(head, wire));
    }
  };
}

Deno.test("h1 client: writes the head from the given pairs, reuses the connection, passes gzip through", async () => {
  const heads: string[] = [];
  const upstream = rawUpstream(keepAlive((head) => {
    heads.push(head);
    return ok("\x1f\x8b\x08\x00", "Content-Encoding: gzip\r\nX-Reply: yes\r\n");
  }));
  const transport = h1Transport();
  try {
    for (let i = 0; i < 3; i++) {
      const headers: [string, string][] = [["authorization", "Bearer t"], ["x-trace", `n${i}`]];
      const response = await transport.forward(
        get(`${upstream.url}/v1/items?q=a%20b&i=${i}`, { headers }),
      );
      assert.equal(response.status, 200);
      assert.equal(response.decoded, false);
      assert.equal(new Headers(response.headers).get("content-encoding"), "gzip");
      assert.equal(new Headers(response.headers).get("x-reply"), "yes");
      assert.deepEqual([...(response.body as Uint8Array)], [0x1f, 0x8b, 0x08, 0x00]);
    }
    assert.equal(upstream.accepted, 1, "one connection for three requests");
    assert.equal(
      heads[1],
      `GET /v1/items?q=a%20b&i=1 HTTP/1.1\r\nhost: 127.0.0.1:${upstream.port}\r\n` +
        "authorization: Bearer t\r\nx-trace: n1\r\nconnection: keep-alive\r\n\r\n",
    );
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: small answers come whole, large and chunked ones stream; HEAD and 204 have no body", async () => {
  const big = "x".repeat(200_000);
  const upstream = rawUpstream(keepAlive((head) => {
    const path = head.split(" ")[1];
    if (head.startsWith("HEAD")) return `HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`;
    if (path === "/big") return ok(big);
    if (path === "/chunked") {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
    }
    if (path === "/empty") return "HTTP/1.1 204 No Content\r\n\r\n";
    return ok("small");
  }));
  const transport = h1Transport();
  try {
    const small = await transport.forward(get(`${upstream.url}/small`));
    assert.ok(small.body instanceof Uint8Array);
    assert.equal(await text(small), "small");
    const large = await transport.forward(get(`${upstream.url}/big`));
    assert.ok(large.body instanceof ReadableStream);
    assert.equal((await text(large)).length, big.length);
    const chunked = await transport.forward(get(`${upstream.url}/chunked`));
    assert.ok(chunked.body instanceof ReadableStream);
    assert.equal(await text(chunked), "hello world");
    const head = await transport.forward(get(`${upstream.url}/big`, { method: "HEAD" }));
    assert.equal(head.body, null);
    assert.equal(new Headers(head.headers).get("content-length"), String(big.length));
    const empty = await transport.forward(get(`${upstream.url}/empty`));
    assert.equal(empty.status, 204);
    assert.equal(empty.body, null);
    assert.equal(upstream.accepted, 1, "every answer read whole returned the connection");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: connection: close and HTTP/1.0 answers are not reused; 1xx answers are skipped", async () => {
  const upstream = rawUpstream(keepAlive((head) => {
    const path = head.split(" ")[1];
    if (path === "/close") return ok("bye", "Connection: close\r\n");
    if (path === "/old") return "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold";
    return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" +
      ok("after");
  }));
  const transport = h1Transport();
  try {
    assert.equal(await text(await transport.forward(get(`${upstream.url}/close`))), "bye");
    assert.equal(await text(await transport.forward(get(`${upstream.url}/old`))), "old");
    const interim = await transport.forward(get(`${upstream.url}/interim`));
    assert.equal(interim.status, 200);
    assert.equal(await text(interim), "after");
    assert.equal(upstream.accepted, 3);
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a connection ending mid-body fails the body (whole and streamed) and the forward", async () => {
  const upstream = rawUpstream(async (wire) => {
    const head = await wire.head();
    const path = head!.split(" ")[1];
    if (path === "/small") {
      await wire.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part");
    } else if (path === "/big") {
      await wire.send(`HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${"x".repeat(70_000)}`);
    } else if (path === "/chunked") {
      await wire.send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    } else await wire.send("HTTP/1.1 200 OK\r\nContent-Le");
  });
  const transport = h1Transport();
  try {
    await assert.rejects(transport.forward(get(`${upstream.url}/small`)), /closed mid-body/);
    await assert.rejects(
      transport.forward(get(`${upstream.url}/head`)),
      /inside the response head/,
    );
    for (const path of ["/big", "/chunked"]) {
      const response = await transport.forward(get(`${upstream.url}${path}`));
      await assert.rejects(text(response), /ended|closed/);
    }
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a malformed answer rejects and its socket is closed, never reused", async () => {
  let ended = false;
  const upstream = rawUpstream(async (wire, index) => {
    await wire.head();
    if (index === 0) {
      await wire.send(
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      );
      ended = await wire.ended();
      return;
    }
    await wire.send(ok("fine"));
  });
  const transport = h1Transport();
  try {
    await assert.rejects(
      transport.forward(get(`${upstream.url}/`)),
      /Content-Length and Transfer-Encoding/,
    );
    assert.equal(await text(await transport.forward(get(`${upstream.url}/`))), "fine");
    assert.equal(upstream.accepted, 2);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(ended, "the refused answer's socket was closed");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a half-closed idle connection leaves the pool; the next request opens a new one", async () => {
  const upstream = rawUpstream(async (wire, index) => {
    await wire.head();
    await wire.send(ok(`conn ${index}`));
    if (index === 0) await (wire.conn as Deno.TcpConn).closeWrite();
    await wire.ended();
  });
  const transport = h1Transport();
  try {
    assert.equal(await text(await transport.forward(get(`${upstream.url}/`))), "conn 0");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await text(await transport.forward(get(`${upstream.url}/`))), "conn 1");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: idle connections are evicted after the idle timeout, and over the per-origin limit", async () => {
  const endedAt: number[] = [];
  const upstream = rawUpstream(async (wire, index) => {
    const head = await wire.head();
    if (head?.includes("/slow")) await new Promise((r) => setTimeout(r, 30));
    await wire.send(ok("x"));
    await wire.ended();
    endedAt.push(index);
  });
  const transport = h1Transport({ pool: { maxIdlePerOrigin: 1, idleTimeoutMs: 150 } });
  try {
    await Promise.all(
      [0, 1, 2].map(() => transport.forward(get(`${upstream.url}/slow`)).then(text)),
    );
    assert.equal(upstream.accepted, 3);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(endedAt.length, 2, "two of three parked connections are over the limit");
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(endedAt.length, 3, "the last one is closed after the idle timeout");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: an abort (upstream timeout) ends the socket and rejects", async () => {
  let ended = false;
  const upstream = rawUpstream(async (wire) => {
    await wire.head();
    ended = await wire.ended(); // Never answers.
  });
  const transport = h1Transport();
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(
      transport.forward(get(`${upstream.url}/`, { signal: controller.signal })),
      /aborted/,
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(ended);
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: the caller cancelling a streamed body ends the socket", async () => {
  let ended = false;
  const upstream = rawUpstream(async (wire) => {
    await wire.head();
    await wire.send("HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n");
    const piece = new Uint8Array(64 * 1024);
    try {
      for (let i = 0; i < 150; i++) await wire.send(piece);
    } catch {
      ended = true;
    }
  });
  const transport = h1Transport();
  try {
    const response = await transport.forward(get(`${upstream.url}/`));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(ended, "the provider's writes failed: the socket is gone");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a pooled socket closed under a bodyless idempotent request is retried once; one with a body, or a POST, is not", async () => {
  const upstream = rawUpstream(async (wire, index) => {
    await wire.head();
    await wire.send(ok(`first ${index}`));
    const next = await wire.head();
    if (next === null) return;
    if (index === 3) await wire.send(ok("never")); // Keeps the fourth connection honest.
    // Otherwise: read the request, close without a byte of answer.
  });
  const transport = h1Transport();
  try {
    assert.equal(await text(await transport.forward(get(`${upstream.url}/`))), "first 0");
    assert.equal(
      await text(await transport.forward(get(`${upstream.url}/`))),
      "first 1",
      "retried on a new connection",
    );
    assert.equal(upstream.accepted, 2);
    const post = {
      method: "POST",
      headers: [["content-length", "2"]] as [string, string][],
      body: ReadableStream.from([new TextEncoder().encode("hi")]),
    };
    await assert.rejects(transport.forward(get(`${upstream.url}/`, post)), /before answering/);
    assert.equal(upstream.accepted, 2, "a request with a body is not sent twice");
    // Nor is a bodyless POST (Slack's chat.postMessage?text=…): the provider may have acted on it.
    assert.equal(await text(await transport.forward(get(`${upstream.url}/`))), "first 2");
    await assert.rejects(
      transport.forward(get(`${upstream.url}/chat.postMessage?text=hi`, { method: "POST" })),
      /before answering/,
    );
    assert.equal(upstream.accepted, 3, "a POST is not sent twice");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: request bodies keep the caller's framing: Content-Length as given, chunked as chunks", async () => {
  const seen: string[] = [];
  const upstream = rawUpstream(keepAlive(async (head, wire) => {
    if (/content-length: (\d+)/.test(head)) {
      const n = Number(/content-length: (\d+)/.exec(head)![1]);
      seen.push(head + new TextDecoder().decode(await wire.bytes(n)));
    } else seen.push(head + await wire.until("0\r\n\r\n"));
    return ok("done");
  }));
  const transport = h1Transport();
  const body = () =>
    ReadableStream.from(["hello ", "world"].map((s) => new TextEncoder().encode(s)));
  try {
    const withLength = {
      method: "PUT",
      headers: [["content-length", "11"]] as [string, string][],
      body: body(),
    };
    assert.equal(await text(await transport.forward(get(`${upstream.url}/a`, withLength))), "done");
    const chunked = {
      method: "POST",
      headers: [["transfer-encoding", "chunked"]] as [string, string][],
      body: body(),
    };
    assert.equal(await text(await transport.forward(get(`${upstream.url}/b`, chunked))), "done");
    const undeclared = { method: "POST", headers: [] as [string, string][], body: body() };
    assert.equal(await text(await transport.forward(get(`${upstream.url}/c`, undeclared))), "done");
    assert.match(
      seen[0],
      /^PUT \/a HTTP\/1\.1\r\n[^]*content-length: 11\r\n[^]*\r\n\r\nhello world$/,
    );
    assert.doesNotMatch(seen[0], /transfer-encoding/);
    assert.match(
      seen[1],
      /transfer-encoding: chunked\r\n[^]*\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n$/,
    );
    assert.match(
      seen[2],
      /transfer-encoding: chunked\r\n[^]*\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n$/,
    );
    assert.equal(upstream.accepted, 1);
    const short = {
      method: "PUT",
      headers: [["content-length", "50"]] as [string, string][],
      body: body(),
    };
    await assert.rejects(
      transport.forward(get(`${upstream.url}/d`, short)),
      /shorter than its Content-Length/,
    );
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a small body with a length leaves in the head's write; a large one streams after it", async () => {
  const upstream = rawUpstream(keepAlive(async (head, wire) => {
    await wire.bytes(Number(/content-length: (\d+)/.exec(head)![1]));
    return ok("done");
  }));
  const writes: number[] = [];
  const transport = h1Transport({
    connect: async (options) => {
      const conn = await Deno.connect(options);
      const write = conn.write.bind(conn);
      conn.write = (bytes) => {
        writes.push(bytes.byteLength);
        return write(bytes);
      };
      return conn;
    },
  });
  const put = (...parts: Uint8Array[]) => ({
    method: "PUT",
    headers: [["content-length", String(parts.reduce((n, p) => n + p.byteLength, 0))]] as [
      string,
      string,
    ][],
    body: ReadableStream.from(parts),
  });
  try {
    const small = put(new TextEncoder().encode("hello "), new TextEncoder().encode("world"));
    assert.equal(await text(await transport.forward(get(`${upstream.url}/a`, small))), "done");
    assert.equal(writes.length, 1, "head and an 11-byte body in one write");
    writes.length = 0;
    const large = put(new Uint8Array(40_000), new Uint8Array(40_000));
    assert.equal(await text(await transport.forward(get(`${upstream.url}/b`, large))), "done");
    assert.equal(writes.length, 3, "the head, then each piece of an 80 KB body as it comes");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

/** A transport whose sockets note the size of every write. */
function countedTransport(): { writes: number[]; transport: ReturnType<typeof h1Transport> } {
  const writes: number[] = [];
  const transport = h1Transport({
    connect: async (options) => {
      const conn = await Deno.connect(options);
      const write = conn.write.bind(conn);
      conn.write = (bytes) => {
        writes.push(bytes.byteLength);
        return write(bytes);
      };
      return conn;
    },
  });
  return { writes, transport };
}

Deno.test("h1 client: a chunked body that is already there leaves with the head and the last chunk in one write", async () => {
  const bodies: string[] = [];
  const upstream = rawUpstream(keepAlive(async (_head, wire) => {
    bodies.push(await wire.until("0\r\n\r\n"));
    return ok("done");
  }));
  const { writes, transport } = countedTransport();
  const pieces = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg", "hhhhhhhh"];
  try {
    for (const headers of [[["transfer-encoding", "chunked"]], []] as [string, string][][]) {
      writes.length = 0;
      const body = ReadableStream.from(pieces.map((p) => new TextEncoder().encode(p)));
      const request = get(`${upstream.url}/up`, { method: "POST", headers, body });
      assert.equal(await text(await transport.forward(request)), "done");
      assert.equal(writes.length, 1, "head, 8 chunks and the last chunk in one write");
    }
    const chunks = pieces.map((p) => `${p.length}\r\n${p}\r\n`).join("") + "0\r\n\r\n";
    assert.deepEqual(bodies, [chunks, chunks], "each piece still its own chunk");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a chunked piece that is not there yet does not hold back what came before it", async () => {
  // The caller sends its second piece only once the provider has the first:
  // gathering must not wait for a read that waits for the network.
  let firstSeen = () => {};
  const seen = new Promise<void>((resolve) => firstSeen = resolve);
  const upstream = rawUpstream(keepAlive(async (_head, wire) => {
    await wire.until("5\r\nhello\r\n");
    firstSeen();
    await wire.until("0\r\n\r\n");
    return ok("done");
  }));
  const { writes, transport } = countedTransport();
  const body = ReadableStream.from((async function* () {
    yield new TextEncoder().encode("hello");
    await seen;
    yield new TextEncoder().encode("world");
  })());
  try {
    const request = get(`${upstream.url}/up`, {
      method: "POST",
      headers: [["transfer-encoding", "chunked"]],
      body,
    });
    assert.equal(await text(await transport.forward(request)), "done");
    assert.equal(writes.length, 2, "head with the first piece; the second with the last chunk");
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: upstream sockets send without Nagle's delay (TCP_NODELAY)", async () => {
  // With Nagle on, a chunked body's last chunk (a small write after others) waits for an ACK
  // the provider delays while it waits for that chunk: 40 ms per request on Linux.
  const upstream = rawUpstream(keepAlive(async (_head, wire) => {
    await wire.until("0\r\n\r\n");
    return ok("done");
  }));
  const { noDelay, connect } = keptConnects();
  const transport = h1Transport({ connect });
  try {
    const chunked = {
      method: "POST",
      headers: [["transfer-encoding", "chunked"]] as [string, string][],
      body: ReadableStream.from([new TextEncoder().encode("hello")]),
    };
    assert.equal(await text(await transport.forward(get(`${upstream.url}/`, chunked))), "done");
    assert.deepEqual(noDelay, [true]);
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: a failing request body rejects the forward with the body's own error", async () => {
  const upstream = rawUpstream(keepAlive(() => new Promise<string>(() => {})));
  const transport = h1Transport();
  try {
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("body too large"));
      },
    });
    const request = {
      method: "POST",
      headers: [["content-length", "9"]] as [string, string][],
      body: failing,
    };
    await assert.rejects(transport.forward(get(`${upstream.url}/`, request)), /body too large/);
  } finally {
    transport.close!();
    await upstream.close();
  }
});

Deno.test("h1 client: TLS with a self-signed root passed as caCerts; refused without it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const openssl = async (...args: string[]) => {
      const run = await new Deno.Command("openssl", { args, cwd: dir, stderr: "null" }).output();
      assert.ok(run.success, `openssl ${args[0]}`);
    };
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    // A root and a leaf it signs: rustls refuses a self-signed CA used as the server's own certificate.
    await openssl(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=test root",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign",
    );
    await openssl("req", ...ec, "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=localhost");
    await Deno.writeTextFile(
      `${dir}/leaf.ext`,
      "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    );
    await openssl(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "cert.pem",
      "-days",
      "1",
      "-extfile",
      "leaf.ext",
    );
    const root = await Deno.readTextFile(`${dir}/ca.pem`);
    const clientPorts = new Set<number>();
    const cert = await Deno.readTextFile(`${dir}/cert.pem`);
    const key = await Deno.readTextFile(`${dir}/key.pem`);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, cert, key, onListen() {} },
      (req, info) => {
        clientPorts.add(info.remoteAddr.port);
        return new Response(`tls ${new URL(req.url).pathname}`);
      },
    );
    const url = `https://localhost:${server.addr.port}`;
    const { noDelay, connect } = keptConnects();
    const trusted = h1Transport({ caCerts: [root], connect });
    const untrusted = h1Transport();
    try {
      assert.equal(await text(await trusted.forward(get(`${url}/one`))), "tls /one");
      assert.equal(await text(await trusted.forward(get(`${url}/two`))), "tls /two");
      assert.equal(clientPorts.size, 1, "the TLS connection was reused");
      assert.deepEqual(noDelay, [true], "TLS runs on a socket without Nagle's delay");
      await assert.rejects(untrusted.forward(get(`${url}/three`)));
    } finally {
      trusted.close!();
      untrusted.close!();
      await server.shutdown();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
