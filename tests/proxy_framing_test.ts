/**
 * The proxy keeps the caller's request framing and adds no headers of its
 * own: a raw-TCP upstream records the exact head the appliance sent for
 * requests written as raw bytes by the caller. Some provider APIs refuse
 * chunked uploads, and a header the caller never sent (accept-encoding,
 * accept-language, user-agent) changes what the provider answers.
 */
import assert from "node:assert/strict";
import { type ProxyEnv, setupProxyEnv } from "./helpers/proxy_env.ts";
import { exchange, type RawMessage, statusOf } from "./helpers/raw_http.ts";
import { UPSTREAM_MARK } from "./helpers/fake_upstream.ts";

const MB = 1024 * 1024;

/** What the proxy itself must set: the upstream's Host, the credential, and connection management. */
const PROXY_SET = new Set(["host", "authorization", "connection"]);

/** Header lines of a raw head, names lower-cased, in the order sent. */
function headerLines(head: string): [string, string][] {
  return head.split("\r\n").slice(1).map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
}

interface Sent {
  method: string;
  headers: [string, string][];
  /** Exact body bytes after the head (already framed as the caller frames it). */
  body: string;
}

/** One request written byte for byte by the caller, with an explicit Host. */
async function send(env: ProxyEnv, sent: Sent): Promise<{ res: RawMessage; upstream: RawMessage }> {
  const before = env.upstream.requests.length;
  const head = [
    `${sent.method} /proxy/gmail/files?x=1 HTTP/1.1`,
    `Host: 127.0.0.1:${env.port}`,
    ...env.auth.map(([n, v]) => `${n}: ${v}`),
    ...sent.headers.map(([n, v]) => `${n}: ${v}`),
    "Connection: close",
  ].join("\r\n");
  const { responses } = await exchange(env.port, `${head}\r\n\r\n${sent.body}`, {
    maxResponses: 1,
    timeoutMs: 20_000,
  });
  assert.equal(responses.length, 1, "an answer arrived");
  assert.equal(env.upstream.requests.length, before + 1, "the upstream got the request");
  return { res: responses[0], upstream: env.upstream.requests[before] };
}

const FRAMING = ["content-length", "transfer-encoding"];

/**
 * The upstream saw the caller's headers (minus the Securix ones) plus only
 * what the proxy must set, and exactly the framing header named (none for null).
 */
function assertHead(
  upstream: RawMessage,
  callerHeaders: [string, string][],
  framing: [string, string] | null,
): void {
  const lines = headerLines(upstream.head);
  const names = lines.map(([n]) => n);
  const added = names.filter((n) =>
    !PROXY_SET.has(n) && !FRAMING.includes(n) &&
    !callerHeaders.some(([c]) => c.toLowerCase() === n)
  );
  assert.deepEqual(added, [], `headers the caller never sent:\n${upstream.head}`);
  assert.deepEqual(
    lines.filter(([n]) => FRAMING.includes(n)),
    framing ? [framing] : [],
    `framing as the caller sent it:\n${upstream.head}`,
  );
  for (const [name, value] of callerHeaders) {
    if (FRAMING.includes(name.toLowerCase())) continue;
    assert.deepEqual(
      lines.filter(([n]) => n === name.toLowerCase()).map(([, v]) => v),
      [value],
      `${name} forwarded once, unchanged`,
    );
  }
}

Deno.test("proxy framing: Content-Length and chunked bodies reach the upstream as sent, with no added headers", async (t) => {
  const env = await setupProxyEnv();
  env.upstream.respond = (req) => ({
    status: 201,
    headers: [["content-type", "application/json"]],
    body: JSON.stringify({ method: req.startLine.split(" ")[0], bytes: req.body.length }),
  });
  try {
    const cases: [string, Sent, [string, string], string][] = [
      [
        "an 11-byte POST with Content-Length",
        {
          method: "POST",
          headers: [["Content-Type", "text/plain"], ["Content-Length", "11"]],
          body: "hello world",
        },
        ["content-length", "11"],
        "hello world",
      ],
      [
        "an empty POST with Content-Length: 0",
        { method: "POST", headers: [["Content-Length", "0"]], body: "" },
        ["content-length", "0"],
        "",
      ],
      [
        "a 5 MB PUT with Content-Length",
        {
          method: "PUT",
          headers: [["Content-Type", "application/octet-stream"], ["Content-Length", `${5 * MB}`]],
          body: "x".repeat(5 * MB),
        },
        ["content-length", `${5 * MB}`],
        "x".repeat(5 * MB),
      ],
      [
        "a chunked POST",
        {
          method: "POST",
          headers: [["Content-Type", "application/json"], ["Transfer-Encoding", "chunked"]],
          body: '6\r\n{"a":1\r\n1\r\n}\r\n0\r\n\r\n',
        },
        ["transfer-encoding", "chunked"],
        '{"a":1}',
      ],
    ];
    for (const [name, sent, framing, body] of cases) {
      await t.step(name, async () => {
        const { res, upstream } = await send(env, sent);
        assertHead(upstream, sent.headers, framing);
        assert.equal(upstream.body.length, body.length);
        assert.ok(upstream.body === body, "the body arrived whole");
        assert.equal(upstream.headers.get("authorization"), `Bearer ${env.token}`);
        assert.equal(statusOf(res), 201, res.body);
        assert.equal(res.headers.get(UPSTREAM_MARK), "1");
        assert.deepEqual(JSON.parse(res.body), { method: sent.method, bytes: body.length });
      });
    }
    await t.step(
      "a GET: the caller's Accept-* and User-Agent reach the upstream as sent, nothing added",
      async () => {
        const headers: [string, string][] = [
          ["Accept-Encoding", "identity"],
          ["User-Agent", "raw-client/1.0"],
          ["Accept", "application/json"],
        ];
        const { res, upstream } = await send(env, { method: "GET", headers, body: "" });
        for (const [name, value] of headers) {
          assert.equal(upstream.headers.get(name.toLowerCase()), value, name);
        }
        // The proxy's own client (issue #16) adds nothing: no accept-language,
        // no accept-encoding of its own, as for requests with a body.
        assertHead(upstream, headers, null);
        assert.equal(statusOf(res), 201);
      },
    );
    await t.step("a GET without Accept-Encoding: none is added on the way", async () => {
      const headers: [string, string][] = [["Accept", "application/json"]];
      const { res, upstream } = await send(env, { method: "GET", headers, body: "" });
      assertHead(upstream, headers, null);
      assert.equal(upstream.headers.get("accept-encoding"), null);
      assert.equal(statusOf(res), 201);
    });
  } finally {
    await env.close();
  }
});

Deno.test("proxy framing: a provider's 205 and 204 reach the caller as they are, without a body", async () => {
  const env = await setupProxyEnv();
  try {
    for (const status of [205, 204]) {
      env.upstream.respond = () => ({ status });
      const { res } = await send(env, {
        method: "POST",
        headers: [["content-length", "2"]],
        body: "{}",
      });
      assert.equal(statusOf(res), status, `${res.head}\n${res.body}`);
      assert.equal(res.body, "");
    }
  } finally {
    await env.close();
  }
});
