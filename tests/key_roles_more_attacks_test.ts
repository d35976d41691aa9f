/**
 * More shapes of an agent key reaching past its role, beyond
 * key_roles_test.ts: method overrides, lower-case and odd methods, HEAD on a
 * listing, absolute-form targets naming another host, the key presented to
 * the MCP endpoint as a bearer token, and another app's backend key on this
 * app's held call. Each is refused and changes nothing.
 */
import assert from "node:assert/strict";
import { requireApp } from "../src/apps/app_store.ts";
import { createApiKey } from "../src/apps/key_store.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { cliActor } from "../src/audit/actor.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

const RAW = toBase64Url("To: bob@acme.com\r\nSubject: Hi\r\n\r\nHello\r\n");

Deno.test({
  name:
    "key roles: method overrides, odd methods, absolute-form targets, MCP bearer and another app's key never decide or mint",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
      apps: [
        { name: "demo", agents: ["agent-1"] },
        { name: "other", agents: ["agent-9"] },
      ],
    });
    try {
      const { appliance } = env.temp;
      const db = appliance.database.db;
      const demo = await requireApp(db, "demo");
      const agentKey = (await createApiKey(db, demo.id, appliance, "agent")).secret;
      for (const name of ["demo", "other"]) {
        await updateApp(appliance.database, name, { approvalsViaApi: true }, {
          now: appliance.now,
          by: cliActor(() => "operator"),
        });
      }
      const held = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
        method: "POST",
        headers: {
          ...env.headers(),
          "securix-api-key": agentKey,
          "content-type": "application/json",
        },
        body: JSON.stringify({ raw: RAW }),
      });
      const approvalId = (await held.json()).error.details.approvalId as string;
      assert.match(approvalId, /^apr_/);
      const status = async () =>
        (await appliance.database.client.execute({
          sql: "SELECT status FROM approvals WHERE id = ?",
          args: [approvalId],
        })).rows[0].status;
      const links = async () =>
        (await appliance.database.client.execute("SELECT count(*) AS n FROM portal_links"))
          .rows[0].n;
      const linksBefore = await links();

      const decide = JSON.stringify({ decision: "approve" });
      const send = (
        method: string,
        target: string,
        extra: [string, string][] = [],
        body = decide,
      ) =>
        rawRequest(env.port, {
          method,
          target,
          headers: [["securix-api-key", agentKey], ["content-type", "application/json"], ...extra],
          body,
        });
      const attempts: [string, string, [string, string][]?][] = [
        // Hono honours no override: the GET handler reads, never decides.
        ["GET", `/v1/approvals/${approvalId}`, [["x-http-method-override", "POST"]]],
        ["GET", `/v1/approvals/${approvalId}?_method=POST`],
        ["post", `/v1/approvals/${approvalId}`],
        ["PUT", `/v1/approvals/${approvalId}`],
        ["PATCH", `/v1/approvals/${approvalId}`],
        ["OPTIONS", `/v1/approvals/${approvalId}`],
        ["POST", `http://127.0.0.1:${env.port}/v1/approvals/${approvalId}`],
        ["POST", `http://gmail.api.localhost/v1/approvals/${approvalId}`],
        ["post", "/v1/portal/urls"],
        ["POST", `http://evil.example/v1/portal/urls`],
        ["HEAD", "/v1/approvals"],
        ["HEAD", "/v1/connections"],
      ];
      for (const [method, target, extra] of attempts) {
        const res = await send(
          method,
          target,
          extra,
          target.includes("portal") ? JSON.stringify({ entityId: "alice" }) : decide,
        );
        assert.ok(res, `${method} ${target}: an answer`);
        const code = statusOf(res);
        if (method === "GET") {
          assert.equal(code, 200, `${method} ${target}: ${res.body}`);
          assert.equal(JSON.parse(res.body).status, "pending", `${method} ${target}`);
        } else {
          assert.equal(code, 403, `${method} ${target}: ${code} ${res.body}`);
          // HEAD answers have no body.
          if (method !== "HEAD") assert.equal(JSON.parse(res.body).error.code, "SX-KEY-ROLE");
        }
        assert.equal(await status(), "pending", `${method} ${target} decided nothing`);
      }
      assert.equal(await links(), linksBefore, "no portal link was minted");

      // The agent key as an MCP grant: not a grant.
      const mcp = await fetch(`${env.base}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${agentKey}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
      });
      assert.equal(mcp.status, 401, await mcp.text());

      // Another app's backend key, with API approvals on there too: not found, not decided.
      const crossed = await fetch(`${env.base}/v1/approvals/${approvalId}`, {
        method: "POST",
        headers: { "securix-api-key": env.apiKey("other"), "content-type": "application/json" },
        body: decide,
      });
      assert.equal(crossed.status, 404, await crossed.text());
      const read = await fetch(`${env.base}/v1/approvals/${approvalId}`, {
        headers: { "securix-api-key": env.apiKey("other") },
      });
      assert.equal(read.status, 404, await read.text());
      const connection = await fetch(`${env.base}/v1/connections/conn_demo_alice_gmail`, {
        headers: { "securix-api-key": env.apiKey("other") },
      });
      assert.equal(connection.status, 404, await connection.text());
      assert.equal(await status(), "pending");
    } finally {
      await env.close();
    }
  },
});
