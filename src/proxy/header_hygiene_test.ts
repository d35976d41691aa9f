import assert from "node:assert/strict";
import {
  decodedByFetch,
  downstreamResponseHeaders,
  upstreamRequestHeaders,
  withoutUrlParam,
} from "./header_hygiene.ts";

Deno.test("proxy headers: caller secrets, securix headers and hop-by-hop never go upstream", () => {
  const incoming = new Headers({
    "authorization": "Bearer caller-token",
    "cookie": "session=abc",
    "securix-api-key": "sx_live_x",
    "securix-entity-id": "user-1",
    "securix-agent-id": "agent-1",
    "x-securix-audit-note": "note",
    "x-securix-strict-mode": "1",
    "connection": "keep-alive, x-custom-hop",
    "x-custom-hop": "drop me",
    "keep-alive": "timeout=5",
    "transfer-encoding": "chunked",
    "te": "trailers",
    "upgrade": "h2c",
    "proxy-authorization": "Basic x",
    "x-forwarded-for": "1.2.3.4",
    "host": "gmail.api.localhost",
    "accept": "application/json",
    "content-type": "application/json",
    "x-goog-api-client": "gl-node/20",
    "if-none-match": '"etag"',
  });
  const out = upstreamRequestHeaders(incoming);
  assert.deepEqual([...out.keys()].sort(), [
    "accept",
    "content-type",
    "if-none-match",
    "x-goog-api-client",
  ]);
});

Deno.test("proxy headers: no name with an underscore goes upstream (CGI servers read it as the dashed one)", () => {
  const out = upstreamRequestHeaders(
    new Headers([
      ["X_HTTP_METHOD_OVERRIDE", "DELETE"],
      ["x-method_override", "DELETE"],
      ["securix_api_key", "sx_live_x"],
      ["x-request-id", "kept"],
    ]),
  );
  assert.deepEqual([...out], [["x-request-id", "kept"]]);
});

Deno.test("proxy headers: responses keep caching and rate-limit headers, lose cookies, hops and origin-wide policy", () => {
  const upstream = new Headers({
    "content-type": "application/json",
    "cache-control": "private, max-age=60",
    "etag": '"v1"',
    "x-ratelimit-remaining": "4999",
    "retry-after": "30",
    "set-cookie": "provider=1",
    "connection": "close, x-hop",
    "x-hop": "1",
    "transfer-encoding": "chunked",
    // Policy for a whole origin: the appliance's, once passed on.
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "clear-site-data": '"cookies", "storage"',
    "alt-svc": 'h3=":443"; ma=86400',
    "nel": '{"report_to":"provider","max_age":86400}',
    "report-to": '{"group":"provider","max_age":86400,"endpoints":[{"url":"https://x"}]}',
    "accept-ch": "Sec-CH-UA-Platform",
  });
  const out = downstreamResponseHeaders(upstream, false);
  assert.deepEqual([...out.keys()].sort(), [
    "cache-control",
    "content-type",
    "etag",
    "retry-after",
    "x-content-type-options",
    "x-ratelimit-remaining",
  ]);
});

Deno.test("proxy headers: a coding fetch() already decoded is not announced to the caller", async () => {
  const json = JSON.stringify({
    messages: Array.from({ length: 40 }, (_, i) => ({ id: `m${i}` })),
  });
  const gzip = new Uint8Array(
    await new Response(new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")))
      .arrayBuffer(),
  );
  let coding = "gzip";
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(coding === "deflate" ? json : gzip, {
        headers: { "content-type": "application/json", "content-encoding": coding, etag: '"e"' },
      }),
  );
  try {
    // What the proxy's fetch hands over: a decoded body, the wire headers.
    const fetched = await fetch(`http://127.0.0.1:${upstream.addr.port}/`);
    const body = await fetched.text();
    assert.equal(body, json, "fetch() decoded the gzip body");
    assert.equal(fetched.headers.get("content-encoding"), "gzip");
    assert.equal(fetched.headers.get("content-length"), String(gzip.length));
    assert.ok(decodedByFetch(fetched.headers));
    const out = downstreamResponseHeaders(fetched.headers, decodedByFetch(fetched.headers));
    assert.equal(out.has("content-encoding"), false);
    assert.equal(out.has("content-length"), false);
    assert.equal(out.get("etag"), '"e"');

    // HEAD: no body was decoded, so the encoding and length of the resource stay.
    const head = await fetch(`http://127.0.0.1:${upstream.addr.port}/`, { method: "HEAD" });
    assert.equal(head.body, null);
    const described = downstreamResponseHeaders(head.headers, false);
    assert.equal(described.get("content-encoding"), "gzip");
    assert.equal(described.get("content-length"), String(gzip.length));

    // A coding fetch() leaves alone stays, with its length: the caller decodes it.
    coding = "deflate";
    const raw = await fetch(`http://127.0.0.1:${upstream.addr.port}/`);
    await raw.body?.cancel();
    assert.equal(decodedByFetch(raw.headers), false);
    const kept = downstreamResponseHeaders(raw.headers, decodedByFetch(raw.headers));
    assert.equal(kept.get("content-encoding"), "deflate");
    assert.equal(kept.get("content-length"), raw.headers.get("content-length"));
  } finally {
    await upstream.shutdown();
  }
  for (
    const [value, decoded] of [["GZIP", true], [" br ", true], ["gzip, br", false], ["zstd", false]]
  ) {
    assert.equal(
      decodedByFetch(new Headers({ "content-encoding": String(value) })),
      decoded,
      String(value),
    );
  }
});

Deno.test("proxy headers: every answer is nosniff; documents that can run script are sandboxed", () => {
  const sandboxed = [
    "text/html",
    "TEXT/HTML",
    "text/html; charset=utf-8",
    " Text/Html ;charset=UTF-8",
    "application/xhtml+xml",
    "image/svg+xml",
    "application/xml",
    "text/xml; charset=utf-8",
    "application/json, text/html",
    "",
    null,
  ];
  for (const type of sandboxed) {
    const upstream = new Headers(type === null ? {} : { "content-type": type });
    const out = downstreamResponseHeaders(upstream, false);
    assert.equal(out.get("x-content-type-options"), "nosniff", String(type));
    assert.equal(out.get("content-security-policy"), "sandbox", String(type));
  }
  for (const type of ["application/json", "text/plain", "image/png", "text/html-sandboxed"]) {
    const out = downstreamResponseHeaders(new Headers({ "content-type": type }), false);
    assert.equal(out.get("x-content-type-options"), "nosniff", type);
    assert.equal(out.has("content-security-policy"), false, type);
  }
});

Deno.test("proxy headers: an upstream CSP is kept beside the sandbox, never instead of it", () => {
  const out = downstreamResponseHeaders(
    new Headers({
      "content-type": "text/html",
      "content-security-policy": "script-src *",
      "x-content-type-options": "sniff-please",
    }),
    false,
  );
  // Two policies, both enforced: the upstream's cannot lift the sandbox.
  assert.equal(out.get("content-security-policy"), "script-src *, sandbox");
  assert.equal(out.get("x-content-type-options"), "nosniff");
});

Deno.test("withoutUrlParam: drops the credential's parameter, however encoded, and nothing else", () => {
  const pairs: [string, string][] = [
    ["Location", "https://api.example/v1/x/?monkey=1&key=s3cret&k%65y=s3cret&q=a+b#key=frag"],
    ["content-location", "/v1/x?key=s3cret"],
    [
      "link",
      '<https://api.example/v1/x?page=2&key=s3cret>; rel="next", <https://api.example/v1/x>; rel="first"',
    ],
  ];
  withoutUrlParam(pairs, "key");
  assert.deepEqual(pairs, [
    ["Location", "https://api.example/v1/x/?monkey=1&q=a+b#key=frag"],
    ["content-location", "/v1/x"],
    [
      "link",
      '<https://api.example/v1/x?page=2>; rel="next", <https://api.example/v1/x>; rel="first"',
    ],
  ]);
});
