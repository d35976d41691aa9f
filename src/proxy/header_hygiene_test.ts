import assert from "node:assert/strict";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./header_hygiene.ts";

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

Deno.test("proxy headers: responses keep caching and rate-limit headers, lose cookies and hops", () => {
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
  });
  const out = downstreamResponseHeaders(upstream);
  assert.deepEqual([...out.keys()].sort(), [
    "cache-control",
    "content-type",
    "etag",
    "retry-after",
    "x-ratelimit-remaining",
  ]);
});
