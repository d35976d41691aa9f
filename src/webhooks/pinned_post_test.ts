import assert from "node:assert/strict";
import { pinnedPost } from "./pinned_post.ts";

interface Seen {
  url: string;
  host: string | null;
  body: string;
  signature: string | null;
}

function receiver(options: Partial<Deno.ServeTcpOptions & Deno.TlsCertifiedKeyPem> = {}) {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...options },
    async (req) => {
      seen.push({
        url: req.url,
        host: req.headers.get("host"),
        body: await req.text(),
        signature: req.headers.get("webhook-signature"),
      });
      return new Response(null, { status: 204 });
    },
  );
  return { seen, server, port: server.addr.port };
}

const request = (url: string, addresses: string[]) => ({
  url: new URL(url),
  addresses,
  headers: { "content-type": "application/json", "webhook-signature": "v1,abc" },
  body: '{"type":"webhook.test"}',
  timeoutMs: 5_000,
});

Deno.test("pinned post: connects to the checked address, names the URL's host, sends path, query and body", async () => {
  const r = receiver();
  try {
    // The name resolves nowhere: only the pinned address can have been used.
    const status = await pinnedPost(
      request(`http://hooks.example.test:${r.port}/in/hook?x=1`, ["127.0.0.1"]),
    );
    assert.equal(status, 204);
    assert.equal(r.seen.length, 1);
    assert.equal(r.seen[0].host, `hooks.example.test:${r.port}`);
    assert.equal(new URL(r.seen[0].url).pathname + new URL(r.seen[0].url).search, "/in/hook?x=1");
    assert.equal(r.seen[0].body, '{"type":"webhook.test"}');
    assert.equal(r.seen[0].signature, "v1,abc");
  } finally {
    await r.server.shutdown();
  }
});

Deno.test("pinned post: an address that refuses the connection gives way to the next checked one", async () => {
  const r = receiver();
  try {
    // Bound to 127.0.0.1 only: 127.0.0.2 refuses.
    const status = await pinnedPost(
      request(`http://hooks.example.test:${r.port}/`, ["127.0.0.2", "127.0.0.1"]),
    );
    assert.equal(status, 204);
    assert.equal(r.seen.length, 1);
  } finally {
    await r.server.shutdown();
  }
});

Deno.test("pinned post: a receiver that never answers is a TimeoutError within the bound", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const started = Date.now();
    await assert.rejects(
      pinnedPost({
        ...request(`http://hooks.example.test:${listener.addr.port}/`, ["127.0.0.1"]),
        timeoutMs: 300,
      }),
      (e: unknown) => (e as Error).name === "TimeoutError",
    );
    assert.ok(Date.now() - started < 5_000);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }
});

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** `openssl req` arguments for a new unencrypted P-256 key. */
const NEW_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A throwaway CA and a leaf for hooks.example.test signed by it. */
async function testPki(): Promise<{ ca: string; cert: string; key: string }> {
  const dir = await Deno.makeTempDir();
  try {
    await openssl(
      dir,
      "req",
      "-x509",
      ...NEW_EC_KEY,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "1",
      "-subj",
      "/CN=Test CA",
    );
    await openssl(
      dir,
      "req",
      ...NEW_EC_KEY,
      "-keyout",
      "leaf.key",
      "-out",
      "leaf.csr",
      "-subj",
      "/CN=hooks.example.test",
    );
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      "subjectAltName=DNS:hooks.example.test\nbasicConstraints=CA:FALSE\n",
    );
    await openssl(
      dir,
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
      "leaf.pem",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
    );
    return {
      ca: await Deno.readTextFile(`${dir}/ca.pem`),
      cert: await Deno.readTextFile(`${dir}/leaf.pem`),
      key: await Deno.readTextFile(`${dir}/leaf.key`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("pinned post: https to a pinned address still sends SNI and verifies the certificate for the URL's host", async () => {
  const pki = await testPki();
  const r = receiver({ cert: pki.cert, key: pki.key });
  try {
    const status = await pinnedPost({
      ...request(`https://hooks.example.test:${r.port}/tls`, ["127.0.0.1"]),
      caCerts: [pki.ca],
    });
    assert.equal(status, 204);
    assert.equal(r.seen[0].host, `hooks.example.test:${r.port}`);
    // The same socket under another name: the certificate does not match, nothing is sent.
    await assert.rejects(
      pinnedPost({
        ...request(`https://other.example.test:${r.port}/tls`, ["127.0.0.1"]),
        caCerts: [pki.ca],
      }),
    );
    assert.equal(r.seen.length, 1);
  } finally {
    await r.server.shutdown();
  }
});

/** A raw TCP receiver that answers every connection with `answer` and counts connections. */
function rawReceiver(answer: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      held.push(conn);
      answer(conn).catch(() => {});
    }
  })();
  return {
    port: listener.addr.port,
    connections: () => held.length,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      for (const c of held) {
        try {
          c.close();
        } catch { /* closed by the client */ }
      }
    },
  };
}

const ascii = (text: string) => new TextEncoder().encode(text);

Deno.test("pinned post: a redirect is answered as its status, never followed", async () => {
  const r = rawReceiver(async (conn) => {
    await conn.write(
      ascii("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:1/\r\n\r\n"),
    );
  });
  try {
    const status = await pinnedPost(request(`http://hooks.example.test:${r.port}/`, ["127.0.0.1"]));
    assert.equal(status, 307);
    assert.equal(r.connections(), 1);
  } finally {
    await r.close();
  }
});

Deno.test("pinned post: an answer head past the limit is refused, not buffered", async () => {
  const r = rawReceiver(async (conn) => {
    await conn.write(ascii("HTTP/1.1 200 OK\r\n"));
    const filler = ascii(`x-filler: ${"a".repeat(1000)}\r\n`);
    for (let i = 0; i < 100; i++) await conn.write(filler);
  });
  try {
    await assert.rejects(
      pinnedPost(request(`http://hooks.example.test:${r.port}/`, ["127.0.0.1"])),
      /overflow/i,
    );
  } finally {
    await r.close();
  }
});

Deno.test("pinned post: endless interim (1xx) answers end at the timeout", async () => {
  const r = rawReceiver(async (conn) => {
    while (true) {
      await conn.write(ascii("HTTP/1.1 100 Continue\r\n\r\n"));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });
  try {
    const started = Date.now();
    await assert.rejects(
      pinnedPost({
        ...request(`http://hooks.example.test:${r.port}/`, ["127.0.0.1"]),
        timeoutMs: 300,
      }),
      (e: unknown) => (e as Error).name === "TimeoutError",
    );
    assert.ok(Date.now() - started < 5_000);
  } finally {
    await r.close();
  }
});
