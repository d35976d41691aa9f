import assert from "node:assert/strict";
import { agentMayCall } from "./key_role_guard.ts";

Deno.test("agentMayCall: reading a held call, and the bridge's connection lookups", () => {
  assert.equal(agentMayCall("GET", "/v1/approvals/apr_abc", {}), true);
  assert.equal(agentMayCall("HEAD", "/v1/approvals/apr_abc", {}), true);
  assert.equal(agentMayCall("GET", "/v1/connections/con_abc", {}), true);
  assert.equal(agentMayCall("GET", "/v1/connections", { entityId: "alice" }), true);
});

Deno.test("agentMayCall: the connection-id gateway, the agent's own interface", () => {
  assert.equal(agentMayCall("POST", "/v1/request-connection", {}), true);
  assert.equal(agentMayCall("GET", "/v1/check-connection/con_abc", {}), true);
  assert.equal(agentMayCall("GET", "/v1/providers", {}), true);
  assert.equal(agentMayCall("GET", "/v1/token/con_abc", {}), true);
  assert.equal(agentMayCall("POST", "/v1/refresh/con_abc", {}), true);
  // Only in the shapes and methods the gateway answers.
  assert.equal(agentMayCall("GET", "/v1/request-connection", {}), false);
  assert.equal(agentMayCall("POST", "/v1/token/con_abc", {}), false);
  assert.equal(agentMayCall("GET", "/v1/refresh/con_abc", {}), false);
  assert.equal(agentMayCall("POST", "/v1/refresh/con_abc/", {}), false);
  assert.equal(agentMayCall("POST", "/v1/connections/con_abc/refresh", {}), false);
});

Deno.test("agentMayCall: nothing that writes, lists everything, or is shaped otherwise", () => {
  const refused: [string, string, Record<string, string>][] = [
    ["POST", "/v1/approvals/apr_abc", {}],
    ["PUT", "/v1/approvals/apr_abc", {}],
    ["DELETE", "/v1/connections/con_abc", {}],
    ["GET", "/v1/approvals", {}],
    ["GET", "/v1/connections", {}],
    ["GET", "/v1/connections", { entityId: "" }],
    ["GET", "/v1/connections", { provider: "gmail" }],
    ["GET", "/v1/approvals/apr_abc/", {}],
    ["GET", "/v1/approvals/", {}],
    ["GET", "/v1/approvals/apr_abc/x", {}],
    ["GET", "/V1/approvals/apr_abc", {}],
    ["GET", "/v1/Approvals/apr_abc", {}],
    ["GET", "//v1/approvals/apr_abc", {}],
    ["GET", "/v1//approvals/apr_abc", {}],
    ["GET", "/x/v1/approvals/apr_abc", {}],
    ["GET", "/v1/approvals/apr_abc\n", {}],
    ["GET", "/v1/approvals/apr%2F..%2F..%2Fapp", {}],
    ["GET", "/v1/connections/con_abc%2Frefresh", {}],
    ["GET", "/v1/token/con_abc/", {}],
    ["GET", "/v1/check-connection/con_abc/x", {}],
    ["GET", "/v1/anomalies", {}],
    ["GET", "/v1/app", {}],
    ["GET", "/v1/mcp/urls", {}],
    ["POST", "/v1/portal/urls", {}],
  ];
  for (const [method, path, query] of refused) {
    assert.equal(agentMayCall(method, path, query), false, `${method} ${JSON.stringify(path)}`);
  }
});
