/**
 * Attacks on the proxy through a real listening appliance with a really
 * connected account. Requests go out as raw bytes (fetch would fix the Host,
 * refuse absolute-form targets and resolve dot segments); the fake upstream
 * records exactly what the appliance forwarded, and a canary port stands for
 * any host the proxy must never contact.
 */
import assert from "node:assert/strict";
import { type ScriptedReply, UPSTREAM_MARK } from "./helpers/fake_upstream.ts";
import { type ProxyEnv, type ProxyEnvOptions, setupProxyEnv } from "./helpers/proxy_env.ts";
import { exchange, type RawMessage, rawRequest, statusOf } from "./helpers/raw_http.ts";

const STACK = /\n\s+at |file:\/\/|\.ts:\d+|TypeError|RangeError|URIError/;

/** An error answer in the envelope `{"error":{"code":"SX-…","message":…}}`, nothing more. */
function assertEnvelope(res: RawMessage | null, code?: string): string {
  assert.ok(res, "an answer arrived");
  assert.ok(statusOf(res) >= 400, `${res.startLine} ${res.body}`);
  assert.equal(
    res.headers.has(UPSTREAM_MARK),
    false,
    "answered by the appliance, not the upstream",
  );
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.doesNotMatch(res.body, STACK);
  const body = JSON.parse(res.body);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.match(body.error.code, /^SX-[A-Z0-9-]+$/);
  assert.equal(typeof body.error.message, "string");
  if (code) assert.equal(body.error.code, code, res.body);
  return body.error.code;
}

/** Refused before reaching us (Deno.serve's own 4xx, or a dropped connection) or by us. */
function assertRefused(responses: RawMessage[]): void {
  for (const res of responses) {
    const status = statusOf(res);
    assert.ok(status >= 400 && status < 500, `${res.startLine} ${res.body}`);
    assert.equal(res.headers.has(UPSTREAM_MARK), false);
    if (res.body !== "") assertEnvelope(res);
  }
}

/** Lets anything stray (a smuggled request, a followed redirect) arrive before counting. */
const settle = (ms = 200) => new Promise((resolve) => setTimeout(resolve, ms));

async function withEnv(
  options: ProxyEnvOptions,
  run: (env: ProxyEnv) => Promise<void>,
): Promise<void> {
  const env = await setupProxyEnv(options);
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

/** Every request the upstream ever saw stayed under the base path with the vault's token. */
function assertConfined(env: ProxyEnv): void {
  for (const seen of env.upstream.requests) {
    const target = seen.startLine.split(" ")[1];
    assert.ok(target.startsWith("/base/"), `upstream saw ${seen.startLine}`);
    assert.equal(seen.headers.get("authorization"), `Bearer ${env.token}`);
  }
  assert.equal(env.canary.connections, 0, "nothing connected to the canary");
}

Deno.test("proxy attack: request smuggling is refused and no request reaches the upstream", async (t) => {
  await withEnv({}, async (env) => {
    const host = `Host: 127.0.0.1:${env.port}\r\n`;
    const smuggled = `GET /proxy/gmail/smuggled HTTP/1.1\r\n${host}${env.authLines}\r\n`;
    const post = (framing: string, body: string, version = "HTTP/1.1") =>
      `POST /proxy/gmail/upload ${version}\r\n${host}${env.authLines}content-type: text/plain\r\n` +
      `${framing}\r\n${body}${smuggled}`;

    await t.step(
      "control: honest framing, two pipelined requests, both reach the upstream",
      async () => {
        const { responses } = await exchange(env.port, post("Content-Length: 5\r\n", "hello"), {
          maxResponses: 2,
        });
        assert.deepEqual(responses.map(statusOf), [200, 200]);
        assert.deepEqual(env.upstream.requests.map((r) => r.startLine), [
          "POST /base/upload HTTP/1.1",
          "GET /base/smuggled HTTP/1.1",
        ]);
        assert.equal(env.upstream.requests[0].body, "hello");
        env.upstream.requests.length = 0;
      },
    );

    const attacks: [string, string][] = [
      [
        "Content-Length then Transfer-Encoding",
        post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding then Content-Length",
        post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
      ],
      [
        "two conflicting Content-Length",
        post("Content-Length: 5\r\nContent-Length: 0\r\n", "hello"),
      ],
      ["one Content-Length listing two values", post("Content-Length: 0, 5\r\n", "hello")],
      ["Content-Length with a sign", post("Content-Length: +5\r\n", "hello")],
      ["Transfer-Encoding: xchunked", post("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n")],
      [
        "Transfer-Encoding: xchunked with Content-Length",
        post("Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding:  chunked (padded) with Content-Length",
        post("Transfer-Encoding:  chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding:<tab>chunked with Content-Length",
        post("Transfer-Encoding:\tchunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding folded onto a continuation line",
        post("Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"),
      ],
      [
        " Transfer-Encoding: chunked (line starts with a space)",
        post("Content-Length: 5\r\n Transfer-Encoding: chunked\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding : chunked (space before the colon)",
        post("Content-Length: 5\r\nTransfer-Encoding : chunked\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding: chunked, identity",
        post("Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding: chunked, then a second one: identity",
        post("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n"),
      ],
      [
        "Transfer-Encoding on HTTP/1.0",
        post("Transfer-Encoding: chunked\r\n", "0\r\n\r\n", "HTTP/1.0"),
      ],
      [
        "chunk size overflowing 64 bits",
        post("Transfer-Encoding: chunked\r\n", `${"f".repeat(20)}\r\nx\r\n0\r\n\r\n`),
      ],
      [
        "bare LF between Content-Length and Transfer-Encoding",
        post("Content-Length: 5\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
      ],
    ];
    for (const [name, bytes] of attacks) {
      await t.step(name, async () => {
        const { responses, closed } = await exchange(env.port, bytes, { timeoutMs: 3_000 });
        await settle();
        assert.deepEqual(env.upstream.requests.map((r) => r.startLine), [], "upstream saw nothing");
        assert.ok(responses.length <= 1, `the smuggled request was answered: ${responses.length}`);
        assertRefused(responses);
        assert.ok(closed, "the connection is closed after an ambiguous framing");
      });
    }
    assertConfined(env);
  });
});

Deno.test("proxy attack: absolute-form request targets are refused, never fetched", async (t) => {
  await withEnv({}, async (env) => {
    const canary = `127.0.0.1:${env.canary.port}`;
    const refused: [string, { method?: string; target: string; host?: string | null }][] = [
      ["evil host, gmail Host header", {
        target: "http://evil.example/",
        host: "gmail.api.localhost",
      }],
      ["canary host, gmail Host header", {
        target: `http://${canary}/x`,
        host: "gmail.api.localhost",
      }],
      ["userinfo trick", {
        target: `http://gmail.api.localhost@${canary}/x`,
        host: "gmail.api.localhost",
      }],
      ["path fallback, evil host", { target: "http://evil.example/proxy/gmail/x" }],
      ["path fallback, canary host", { target: `http://${canary}/proxy/gmail/x` }],
      ["CONNECT to the canary", { method: "CONNECT", target: canary, host: canary }],
    ];
    for (const [name, head] of refused) {
      await t.step(name, async () => {
        const res = await rawRequest(env.port, { ...head, headers: env.auth });
        assert.ok(res, "an answer arrived");
        assertEnvelope(res);
        assert.equal(env.upstream.requests.length, 0, "the upstream saw nothing");
      });
    }
    await t.step("no Host at all: refused, or confined to the configured upstream", async () => {
      const res = await rawRequest(env.port, {
        target: `http://${canary}/proxy/gmail/x`,
        host: null,
        headers: env.auth,
      });
      assert.ok(res);
      if (statusOf(res) >= 400) assertEnvelope(res);
      else assert.ok(res.headers.has(UPSTREAM_MARK));
    });
    await settle();
    assertConfined(env);
  });
});

Deno.test("proxy attack: dot segments, encoded separators and backslashes never leave the base path", async (t) => {
  await withEnv({ apiBasePath: "/base" }, async (env) => {
    const gmailHost = `gmail.api.localhost:${env.port}`;
    const escape = "v1/auth/status?entityId=alice"; // An appliance route the API key can read.
    const cases: [string, string | undefined, "refused" | "confined"][] = [
      [`/proxy/gmail/../../${escape}`, undefined, "refused"],
      [`/proxy/gmail/./../../${escape}`, undefined, "refused"],
      [`/proxy/gmail/%2e%2e/%2e%2e/${escape}`, undefined, "refused"],
      [`/proxy/gmail/.%2E/%2e./${escape}`, undefined, "refused"],
      ["/proxy/gmail/..%2f..%2fv1%2fauth%2fstatus", undefined, "refused"],
      ["/proxy/gmail/..\\..\\v1\\auth\\status", undefined, "refused"],
      ["/proxy/gmail/%5c..%5c..%5cv1", undefined, "refused"],
      ["/proxy/gmail/x/..", undefined, "refused"],
      ["/proxy/gmail/%00/x", undefined, "refused"],
      ["/proxy/gmail/%zz/x", undefined, "refused"],
      [`/proxy/gmail//127.0.0.1:${env.canary.port}/x`, undefined, "refused"],
      ["/proxy/gmail/%252e%252e/%252e%252e/v1", undefined, "confined"],
      ["/proxy/gmail/..%252f..%252fv1", undefined, "confined"],
      [`/../../${escape}`, gmailHost, "refused"],
      ["/%2e%2e/x", gmailHost, "refused"],
      ["/..\\x", gmailHost, "refused"],
      [`//127.0.0.1:${env.canary.port}/x`, gmailHost, "refused"],
      ["/%252e%252e/x", gmailHost, "confined"],
    ];
    for (const [target, host, expected] of cases) {
      await t.step(`${host ? "Host-routed " : ""}${target} → ${expected}`, async () => {
        const before = env.upstream.requests.length;
        const res = await rawRequest(env.port, { target, host, headers: env.auth });
        if (expected === "refused") {
          assertEnvelope(res, "SX-BAD-REQUEST-TARGET");
          assert.equal(env.upstream.requests.length, before, "the upstream saw nothing");
        } else {
          assert.ok(res);
          assert.equal(statusOf(res), 200, res.body);
          assert.ok(res.headers.has(UPSTREAM_MARK), "answered by the upstream");
          const seen = env.upstream.requests.at(-1)!.startLine.split(" ")[1];
          assert.equal(seen, `/base${host ? target : target.slice("/proxy/gmail".length)}`);
        }
      });
    }
    await t.step("control: an ordinary path is forwarded under the base path", async () => {
      const res = await rawRequest(env.port, {
        target: "/proxy/gmail/gmail/v1/users/me/messages?q=a",
        headers: env.auth,
      });
      assert.equal(statusOf(res!), 200);
      assert.equal(
        env.upstream.requests.at(-1)!.startLine,
        "GET /base/gmail/v1/users/me/messages?q=a HTTP/1.1",
      );
    });
    assertConfined(env);
  });
});

Deno.test("proxy attack: oversized headers are refused before any upstream call", async (t) => {
  await withEnv({}, async (env) => {
    const padded = (headers: [string, string][], host?: string) =>
      exchange(
        env.port,
        `GET /proxy/gmail/x HTTP/1.1\r\nHost: ${host ?? `127.0.0.1:${env.port}`}\r\n` +
          [...env.auth, ...headers].map(([n, v]) => `${n}: ${v}\r\n`).join("") +
          "Connection: close\r\n\r\n",
        { maxResponses: 1 },
      );
    await t.step("control: 8 KB of headers are forwarded", async () => {
      const { responses } = await padded([["x-pad", "a".repeat(8 * 1024)]]);
      assert.equal(statusOf(responses[0]), 200);
      assert.equal(env.upstream.requests.length, 1);
      env.upstream.requests.length = 0;
    });
    const ours: [string, [string, string][], string?][] = [
      ["40 KB in one header", [["x-pad", "a".repeat(40 * 1024)]]],
      [
        "40 KB over 80 headers",
        Array.from({ length: 80 }, (_, i) => [`x-pad-${i}`, "a".repeat(512)]),
      ],
      ["40 KB on the Host-routed proxy", [["x-pad", "a".repeat(40 * 1024)]], "gmail.api.localhost"],
    ];
    for (const [name, headers, host] of ours) {
      await t.step(`${name} → 431 envelope`, async () => {
        const { responses } = await padded(headers, host);
        assert.equal(statusOf(responses[0]), 431);
        assertEnvelope(responses[0], "SX-HEADERS-TOO-LARGE");
        assert.equal(env.upstream.requests.length, 0);
      });
    }
    const server: [string, [string, string][]][] = [
      ["64 KB in one header", [["x-pad", "a".repeat(64 * 1024)]]],
      ["1 MB in one header", [["x-pad", "a".repeat(1024 * 1024)]]],
      ["300 small headers", Array.from({ length: 300 }, (_, i) => [`x-h-${i}`, "a".repeat(100)])],
    ];
    for (const [name, headers] of server) {
      await t.step(`${name} → refused (by Deno.serve or by us)`, async () => {
        const { responses } = await padded(headers);
        assertRefused(responses);
        assert.equal(env.upstream.requests.length, 0);
      });
    }
    assertConfined(env);
  });
});

Deno.test("proxy attack: never an open proxy, whatever Host or X-Forwarded-Host says", async (t) => {
  const attempt = async (
    env: ProxyEnv,
    head: { target: string; host?: string; headers?: [string, string][] },
    expected: string | "upstream",
  ) => {
    const before = env.upstream.requests.length;
    const res = await rawRequest(env.port, {
      target: head.target,
      host: head.host,
      headers: [...env.auth, ...head.headers ?? []],
    });
    if (expected === "upstream") {
      assert.ok(res?.headers.has(UPSTREAM_MARK), `${res?.startLine} ${res?.body}`);
      assert.equal(env.upstream.requests.length, before + 1);
      const seen = env.upstream.requests.at(-1)!;
      assert.equal(seen.headers.has("x-forwarded-host"), false);
      assert.equal(seen.headers.has("forwarded"), false);
    } else {
      assertEnvelope(res, expected);
      assert.equal(env.upstream.requests.length, before, "the upstream saw nothing");
    }
  };

  await t.step("trust_proxy = false", async () => {
    await withEnv({ trustProxy: false }, async (env) => {
      const canary = `127.0.0.1:${env.canary.port}`;
      await attempt(env, { target: "/x", host: "evil.api.localhost" }, "SX-UNKNOWN-PROVIDER");
      await attempt(
        env,
        { target: "/x", host: `evil.api.localhost:${env.canary.port}` },
        "SX-UNKNOWN-PROVIDER",
      );
      await attempt(env, { target: "/proxy/unknown/x" }, "SX-UNKNOWN-PROVIDER");
      await attempt(env, { target: `/proxy/${canary}/x` }, "SX-NOT-FOUND");
      await attempt(env, { target: "/gmail/v1/users/me/messages", host: canary }, "SX-NOT-FOUND");
      await attempt(env, {
        target: "/x",
        host: `gmail.api.localhost.evil.example:${env.canary.port}`,
      }, "SX-NOT-FOUND");
      // A host ending in a number must be an IPv4 address (WHATWG URL): refused, not routed.
      await attempt(env, { target: "/x", host: `gmail.api.localhost.${canary}` }, "SX-BAD-HOST");
      // The Host never picks the destination: the path fallback still goes to gmail's base URL.
      await attempt(env, { target: "/proxy/gmail/x", host: canary }, "upstream");
      await attempt(env, { target: "/x", host: "GMAIL.API.LOCALHOST" }, "upstream");
      const xfh = (value: string): [string, string][] => [["X-Forwarded-Host", value]];
      await attempt(
        env,
        { target: "/gmail/v1/x", headers: xfh("gmail.api.localhost") },
        "SX-NOT-FOUND",
      );
      await attempt(env, { target: "/x", headers: xfh("evil.api.localhost") }, "SX-NOT-FOUND");
      await attempt(env, { target: "/proxy/gmail/x", headers: xfh(canary) }, "upstream");
      await attempt(env, {
        target: "/proxy/gmail/x",
        headers: [["Forwarded", `host=${canary};proto=http`]],
      }, "upstream");
      await settle();
      assertConfined(env);
    });
  });

  await t.step("trust_proxy = true", async () => {
    await withEnv({ trustProxy: true }, async (env) => {
      const canary = `127.0.0.1:${env.canary.port}`;
      const xfh = (value: string): [string, string][] => [["X-Forwarded-Host", value]];
      const gmail = "gmail.api.localhost";
      await attempt(
        env,
        { target: "/x", host: gmail, headers: xfh("evil.api.localhost") },
        "SX-UNKNOWN-PROVIDER",
      );
      await attempt(env, {
        target: "/x",
        host: gmail,
        headers: xfh(`evil.api.localhost, ${gmail}`),
      }, "SX-UNKNOWN-PROVIDER");
      await attempt(env, { target: "/x", host: gmail, headers: xfh(canary) }, "SX-NOT-FOUND");
      await attempt(
        env,
        { target: "/x", headers: xfh(`evil.example#.api.localhost`) },
        "SX-NOT-FOUND",
      );
      await attempt(env, { target: "/x", headers: xfh(`${gmail}.${canary}`) }, "SX-NOT-FOUND");
      // What a reverse proxy in front legitimately sends.
      await attempt(env, { target: "/gmail/v1/x", headers: xfh(gmail) }, "upstream");
      await attempt(env, { target: "/proxy/gmail/x", headers: xfh(canary) }, "upstream");
      await settle();
      assertConfined(env);
    });
  });
});

Deno.test("proxy attack: upstream redirects are passed back, never followed, never leak the token", async (t) => {
  await withEnv({}, async (env) => {
    const elsewhere = `http://127.0.0.1:${env.canary.port}/collect?from=upstream`;
    const cases: [number, string, string | undefined][] = [
      [301, "GET", undefined],
      [302, "GET", undefined],
      [303, "POST", "draft=1"],
      [307, "POST", "draft=1"],
      [308, "PUT", "draft=1"],
    ];
    for (const [status, method, body] of cases) {
      await t.step(`${status} after ${method} → returned as is`, async () => {
        const reply: ScriptedReply = {
          status,
          headers: [["Location", elsewhere], ["content-type", "text/plain"]],
          body: "moved",
        };
        env.upstream.respond = () => reply;
        const before = env.upstream.requests.length;
        const res = await rawRequest(env.port, {
          method,
          target: "/proxy/gmail/gmail/v1/users/me/messages",
          headers: env.auth,
          body,
        });
        assert.ok(res);
        assert.equal(statusOf(res), status);
        assert.equal(res.headers.get("location"), elsewhere);
        assert.equal(res.body, "moved");
        await settle(300);
        assert.equal(env.canary.connections, 0, "the redirect was not followed");
        assert.equal(env.upstream.requests.length, before + 1, "nor replayed upstream");
        const everything = `${res.startLine}\n${[...res.headers].join("\n")}\n${res.body}`;
        assert.equal(everything.includes(env.token), false, "the token never reaches the caller");
      });
    }
    await t.step("a relative Location is not followed either", async () => {
      env.upstream.respond = () => ({ status: 302, headers: [["Location", "/base/other"]] });
      const before = env.upstream.requests.length;
      const res = await rawRequest(env.port, { target: "/proxy/gmail/x", headers: env.auth });
      assert.equal(statusOf(res!), 302);
      assert.equal(res!.headers.get("location"), "/base/other");
      await settle();
      assert.equal(env.upstream.requests.length, before + 1);
    });
    assertConfined(env);
  });
});

Deno.test("proxy attack: caller-only and hop-by-hop headers are stripped both ways", async (t) => {
  await withEnv({}, async (env) => {
    env.upstream.respond = () => ({
      status: 202,
      headers: [
        ["Content-Type", "application/json; charset=UTF-8"],
        ["Cache-Control", "private, max-age=60"],
        ["X-RateLimit-Limit", "100"],
        ["X-RateLimit-Remaining", "99"],
        ["ETag", '"v1"'],
        ["Set-Cookie", "upstream_session=s3cr3t; HttpOnly"],
        ["Set-Cookie", "tracking=1"],
        ["Connection", "keep-alive, X-Upstream-Private"],
        ["X-Upstream-Private", "internal"],
        ["Keep-Alive", "timeout=5"],
        ["Proxy-Authenticate", "Basic realm=upstream"],
        ["Proxy-Connection", "keep-alive"],
        ["Upgrade", "h2c"],
      ],
      body: '{"accepted":true}',
    });
    const res = await rawRequest(env.port, {
      target: "/proxy/gmail/gmail/v1/users/me/messages",
      headers: [
        ...env.auth,
        ["X-SecuriX-Audit-Note", "for the audit log only"],
        ["X-SecuriX-Strict-Mode", "1"],
        ["Securix-Debug", "1"],
        ["Authorization", "Bearer caller-supplied"],
        ["Cookie", "session=caller"],
        ["Connection", "close, X-Foo"],
        ["X-Foo", "named-in-connection"],
        ["Keep-Alive", "timeout=99"],
        ["TE", "trailers"],
        ["Trailer", "X-Checksum"],
        ["Upgrade", "h2c"],
        ["Proxy-Authorization", "Basic Y2FsbGVyOnNlY3JldA=="],
        ["Proxy-Connection", "keep-alive"],
        ["Forwarded", "for=192.0.2.1;host=evil.example"],
        ["X-Forwarded-For", "192.0.2.1"],
        ["X-Forwarded-Host", "evil.example"],
        ["X-Forwarded-Proto", "https"],
        ["X-Real-IP", "192.0.2.1"],
        ["Accept", "application/json"],
        ["X-Goog-Api-Client", "gl-node/20"],
      ],
    });
    assert.ok(res);

    await t.step(
      "request: the upstream sees the vault token and the caller's ordinary headers only",
      () => {
        assert.equal(env.upstream.requests.length, 1);
        const seen = env.upstream.requests[0].headers;
        assert.equal(seen.get("authorization"), `Bearer ${env.token}`);
        assert.equal(seen.get("accept"), "application/json");
        assert.equal(seen.get("x-goog-api-client"), "gl-node/20");
        for (
          const name of [
            "securix-api-key",
            "securix-entity-id",
            "securix-agent-id",
            "securix-debug",
            "x-securix-audit-note",
            "x-securix-strict-mode",
            "cookie",
            "x-foo",
            "keep-alive",
            "te",
            "trailer",
            "upgrade",
            "proxy-authorization",
            "proxy-connection",
            "forwarded",
            "x-forwarded-for",
            "x-forwarded-host",
            "x-forwarded-proto",
            "x-real-ip",
          ]
        ) assert.equal(seen.has(name), false, `${name} reached the upstream`);
        assert.doesNotMatch(seen.get("connection") ?? "", /x-foo|close/i);
        const raw = [...seen].join("\n");
        assert.equal(raw.includes(env.apiKey), false, "the API key never leaves the appliance");
        assert.equal(raw.includes("caller-supplied"), false);
      },
    );

    await t.step(
      "response: status and API headers kept, cookies and hop-by-hop headers dropped",
      () => {
        assert.equal(statusOf(res), 202);
        assert.equal(res.body, '{"accepted":true}');
        assert.equal(res.headers.get("content-type"), "application/json; charset=UTF-8");
        assert.equal(res.headers.get("cache-control"), "private, max-age=60");
        assert.equal(res.headers.get("x-ratelimit-limit"), "100");
        assert.equal(res.headers.get("x-ratelimit-remaining"), "99");
        assert.equal(res.headers.get("etag"), '"v1"');
        for (
          const name of [
            "set-cookie",
            "x-upstream-private",
            "keep-alive",
            "proxy-authenticate",
            "proxy-connection",
            "upgrade",
          ]
        ) assert.equal(res.headers.has(name), false, `${name} reached the caller`);
        assert.doesNotMatch(res.headers.get("connection") ?? "", /x-upstream-private/i);
      },
    );
    assertConfined(env);
  });
});

Deno.test("proxy attack: a hanging upstream ends in a 504 envelope within the configured timeout", async (t) => {
  await withEnv({ upstreamTimeoutMs: 500 }, async (env) => {
    env.upstream.respond = () => "hang";
    for (const [method, body] of [["GET", undefined], ["POST", '{"raw":"x"}']] as const) {
      await t.step(`${method} to an upstream that accepts and never answers`, async () => {
        const before = env.upstream.requests.length;
        const started = performance.now();
        const res = await rawRequest(env.port, {
          method,
          target: "/proxy/gmail/x",
          headers: env.auth,
          body,
        });
        const elapsed = performance.now() - started;
        assertEnvelope(res, "SX-UPSTREAM-TIMEOUT");
        assert.equal(statusOf(res!), 504);
        assert.match(JSON.parse(res!.body).error.message, /500 ms/);
        assert.ok(elapsed >= 450, `answered after ${elapsed} ms, before the timeout`);
        assert.ok(elapsed < 10_000, `answered after ${elapsed} ms`);
        console.log(`  ${method}: 504 after ${Math.round(elapsed)} ms (timeout 500 ms)`);
        assert.equal(env.upstream.requests.length, before + 1, "the upstream did get the request");
      });
    }
    await t.step("the appliance drops the hanging upstream connections", async () => {
      for (let i = 0; i < 50 && env.upstream.abandoned < 2; i++) await settle(100);
      assert.equal(env.upstream.abandoned, 2);
    });
    await t.step("and the next request to a healthy upstream succeeds", async () => {
      env.upstream.respond = () => ({ status: 200, body: "ok" });
      const res = await rawRequest(env.port, { target: "/proxy/gmail/x", headers: env.auth });
      assert.equal(statusOf(res!), 200);
      assert.equal(res!.body, "ok");
    });
    assertConfined(env);
  });
});

Deno.test("proxy attack: bad input gets the JSON error envelope, never a stack trace", async (t) => {
  await withEnv({}, async (env) => {
    const key: [string, string] = ["securix-api-key", env.apiKey];
    const cases: [string, Parameters<typeof rawRequest>[1], string][] = [
      ["Host with an invalid port", {
        target: "/proxy/gmail/x",
        host: "gmail.api.localhost:99999",
        headers: env.auth,
      }, "SX-BAD-HOST"],
      ["Host with an unclosed IPv6 bracket", {
        target: "/proxy/gmail/x",
        host: "[::1",
        headers: env.auth,
      }, "SX-BAD-HOST"],
      ["Host carrying a path", {
        target: "/",
        host: `127.0.0.1:${env.port}/v1/auth/status?entityId=alice#`,
        headers: env.auth,
      }, "SX-BAD-HOST"],
      ["Host carrying userinfo", {
        target: "/proxy/gmail/x",
        host: `x@127.0.0.1:${env.canary.port}`,
        headers: env.auth,
      }, "SX-BAD-HOST"],
      [
        "invalid percent-encoding",
        { target: "/proxy/gmail/%zz", headers: env.auth },
        "SX-BAD-REQUEST-TARGET",
      ],
      [
        "truncated UTF-8",
        { target: "/proxy/gmail/%E0%A4%A", headers: env.auth },
        "SX-BAD-REQUEST-TARGET",
      ],
      [
        "no API key",
        { target: "/proxy/gmail/x", headers: env.auth.slice(1) },
        "SX-API-KEY-MISSING",
      ],
      ["wrong API key", {
        target: "/proxy/gmail/x",
        headers: [["securix-api-key", "sx_nope"], ...env.auth.slice(1)],
      }, "SX-API-KEY-INVALID"],
      ["8 KB API key", {
        target: "/proxy/gmail/x",
        headers: [["securix-api-key", "k".repeat(8192)], ...env.auth.slice(1)],
      }, "SX-API-KEY-INVALID"],
      ["non-ASCII API key", {
        target: "/proxy/gmail/x",
        headers: [["securix-api-key", "sx_\u00ff\u00fe"], ...env.auth.slice(1)],
      }, "SX-API-KEY-INVALID"],
      ["unknown agent", {
        target: "/proxy/gmail/x",
        headers: [key, ["securix-entity-id", "alice"], ["securix-agent-id", "nobody"]],
      }, "SX-AGENT-UNKNOWN"],
      [
        "no entity",
        { target: "/proxy/gmail/x", headers: [key, ["securix-agent-id", "agent-1"]] },
        "SX-MISSING-HEADER",
      ],
      ["unknown entity", {
        target: "/proxy/gmail/x",
        headers: [key, ["securix-entity-id", "mallory"], ["securix-agent-id", "agent-1"]],
      }, "SX-NOT-CONNECTED"],
      ["declared body over the limit", {
        method: "POST",
        target: "/proxy/gmail/x",
        headers: [...env.auth, ["Content-Length", "99999999999"], ["Connection", "close"]],
      }, "SX-BODY-TOO-LARGE"],
      ["WebSocket upgrade on a plain API", {
        target: "/proxy/gmail/x",
        headers: [...env.auth, ["Upgrade", "websocket"], ["Connection", "Upgrade"], [
          "Sec-WebSocket-Key",
          "dGhlIHNhbXBsZSBub25jZQ==",
        ], ["Sec-WebSocket-Version", "13"]],
      }, "SX-BAD-REQUEST-TARGET"],
      ["invalid JSON to the API", {
        method: "POST",
        target: "/v1/auth/sessions",
        headers: [key, ["content-type", "application/json"]],
        body: "{",
      }, "SX-INVALID-JSON"],
    ];
    for (const [name, head, code] of cases) {
      await t.step(`${name} → ${code}`, async () => {
        const res = await rawRequest(env.port, head);
        assertEnvelope(res, code);
      });
    }
    await t.step("the upstream never saw any of it", () => {
      assert.equal(env.upstream.requests.length, 0);
      assertConfined(env);
    });
  });
});
