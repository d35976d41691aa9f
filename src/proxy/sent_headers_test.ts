import assert from "node:assert/strict";
import { upstreamRequestHeaders } from "./header_hygiene.ts";
import { readSentHeaders } from "./sent_headers.ts";

Deno.test("sent headers: one pass gives what the separate reads gave", () => {
  const headers = new Headers([
    ["Host", "github.api.localhost"],
    ["Securix-Api-Key", "sx_live_k"],
    ["securix-agent-id", "bot"],
    ["securix-entity-id", "ann"],
    ["x-securix-audit-note", "why"],
    ["x-securix-strict-mode", " TRUE "],
    ["x-method-override", "put"],
    ["x-http-method-override", "delete"],
    ["content-type", "application/json"],
    ["content-length", "12"],
    ["accept", "a"],
    ["accept", "b"],
    ["connection", "keep-alive, x-hop"],
    ["x-hop", "1"],
    ["authorization", "Bearer callers"],
    ["upgrade", "websocket"],
    ["sec-websocket-protocol", "v1, v2"],
  ]);
  const sent = readSentHeaders(headers);
  assert.equal(sent.apiKey, headers.get("securix-api-key"));
  assert.equal(sent.agentId, "bot");
  assert.equal(sent.entityId, "ann");
  assert.equal(sent.note, "why");
  assert.equal(sent.strict, true);
  assert.equal(sent.methodOverride, "delete", "x-http-method-override comes first");
  assert.equal(sent.methodOverrideConflict, true, "put and delete disagree");
  assert.equal(sent.host, "github.api.localhost");
  assert.equal(sent.contentLength, "12");
  assert.equal(sent.transferEncoding, null);
  assert.equal(sent.contentType, "application/json");
  assert.equal(sent.upgrade, "websocket");
  assert.equal(sent.webSocketProtocol, "v1, v2");
  let bytes = 0;
  for (const [name, value] of headers) bytes += name.length + value.length + 4;
  assert.equal(sent.bytes, bytes);
  assert.deepEqual(sent.upstream, [...upstreamRequestHeaders(headers)]);
  assert.deepEqual(sent.upstream.map(([n]) => n), [
    "accept",
    "content-type",
    "sec-websocket-protocol",
    "x-http-method-override",
    "x-method-override",
  ]);
});

Deno.test("sent headers: nothing sent, nothing read", () => {
  const sent = readSentHeaders(new Headers());
  assert.equal(sent.apiKey, null);
  assert.equal(sent.strict, false);
  assert.equal(sent.methodOverride, null);
  assert.equal(sent.bytes, 0);
  assert.deepEqual(sent.upstream, []);
});

Deno.test("sent headers: securix-connection-id is read and never goes upstream", () => {
  const sent = readSentHeaders(
    new Headers({ "securix-connection-id": "con_abc", "securix-api-key": "k", accept: "x" }),
  );
  assert.equal(sent.connectionId, "con_abc");
  assert.equal(sent.entityId, null);
  assert.deepEqual(sent.upstream, [["accept", "x"]]);
  assert.equal(readSentHeaders(new Headers()).connectionId, null);
});

Deno.test("sent headers: the approval id (any spelling) never goes upstream, even named in Connection", () => {
  const headers = new Headers([
    ["Securix-Approval-Id", "apr_aaaaaaaaaaaaaaaa"],
    ["connection", "securix-approval-id"],
    ["accept", "application/json"],
  ]);
  const sent = readSentHeaders(headers);
  assert.deepEqual(sent.upstream, [["accept", "application/json"]]);
  assert.ok(!upstreamRequestHeaders(headers).has("securix-approval-id"));
});

Deno.test("sent headers: method overrides that agree are no conflict; different or listed ones are", () => {
  const read = (pairs: [string, string][]) => readSentHeaders(new Headers(pairs));
  assert.equal(read([["x-http-method-override", "DELETE"]]).methodOverrideConflict, false);
  assert.equal(
    read([["x-http-method-override", "delete"], ["x-http-method", " DELETE "]])
      .methodOverrideConflict,
    false,
  );
  assert.equal(
    read([["x-http-method-override", "GET"], ["x-http-method", "DELETE"]]).methodOverrideConflict,
    true,
  );
  assert.equal(
    read([["x-http-method-override", "GET"], ["x-http-method-override", "DELETE"]])
      .methodOverrideConflict,
    true,
    "a repeated field arrives as one list",
  );
  assert.equal(read([["x-method-override", "GET,DELETE"]]).methodOverrideConflict, true);
});
