/**
 * MCP end to end: the official SDK client over Streamable HTTP against a
 * served appliance, with connections made through the real consent flow.
 */
import assert from "node:assert/strict";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { decideApproval } from "../src/approvals/approval_decide.ts";
import { approvalErrors } from "../src/approvals/approval_errors.ts";
import { findApp } from "../src/apps/app_store.ts";
import { REQUEST_ID_PATTERN } from "../src/identifiers/request_id.ts";
import { refusalResult } from "../src/mcp/mcp_tool_result.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { Securix } from "../src/sdk/server_client.ts";
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { MESSAGE_IDS, PII } from "./helpers/fake_apis/gmail_seed.ts";
import { mcpClient, mcpEnv, textOf } from "./helpers/mcp_env.ts";
import { storedCredential } from "./helpers/seed.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test("mcp: the SDK client lists tools and calls gmail and github after a real consent", async () => {
  const env = await mcpEnv();
  try {
    await env.consent("alice", "gmail");
    await env.consent("alice", "github");
    const securix = new Securix({ baseUrl: env.publicUrl, apiKey: env.apiKey() });
    const { url, id, expiresAt } = await securix.mcp.getUrl({
      entityId: "alice",
      agentId: "agent-1",
    });
    assert.match(id, /^mcp_/);
    assert.ok(url.startsWith(`${env.publicUrl}/mcp/sxmcp_`));
    assert.ok(Date.parse(expiresAt) > Date.now() + 23 * 3600_000);
    const client = await mcpClient(url);
    try {
      const { tools } = await client.listTools() as { tools: Tool[] };
      const names = tools.map((t) => t.name);
      for (
        const name of [
          "gmail_list_messages",
          "gmail_get_message",
          "gmail_create_draft",
          "gmail_send_message",
          "gmail_request",
          "github_get_repo",
          "github_create_issue",
          "github_request",
        ]
      ) assert.ok(names.includes(name), `${name} in ${names}`);
      const list = tools.find((t) => t.name === "gmail_list_messages")!;
      assert.deepEqual(Object.keys(list.inputSchema.properties ?? {}).sort(), [
        "maxResults",
        "query",
      ]);
      assert.match(list.description ?? "", /Returns/);

      const listed = await client.callTool({
        name: "gmail_list_messages",
        arguments: { query: "", maxResults: 3 },
      });
      assert.equal(listed.isError, undefined, textOf(listed));
      const mail = JSON.parse(textOf(listed));
      assert.equal(mail.messages.length, 3);
      assert.ok(mail.messages[0].id && mail.messages[0].subject, textOf(listed));

      const repo = await client.callTool({
        name: "github_get_repo",
        arguments: { owner: "octo-org", repo: "hello-world" },
      });
      assert.equal(repo.isError, undefined, textOf(repo));
      const info = JSON.parse(textOf(repo));
      assert.equal(info.full_name, GITHUB_REPOS.HELLO_WORLD);
      assert.equal(info.description, "This your first repo!");
      assert.equal(info.owner, undefined, "trimmed to the fields a model needs");
    } finally {
      await client.close();
    }
    const audit = await env.audit("proxy.request");
    assert.ok(audit.length >= 2);
    const mcpCalls = audit.filter((r) => r.data.via === "mcp");
    assert.deepEqual(
      [...new Set(mcpCalls.map((r) => `${r.data.tool} ${r.data.operation}`))].sort(),
      [
        "github_get_repo github.repos.get",
        "gmail_list_messages gmail.users.messages.get",
        "gmail_list_messages gmail.users.messages.list",
      ],
    );
    assert.ok(mcpCalls.every((r) => r.agentId === "agent-1" && r.entityId === "alice"));
    // Each tool call is one MCP request: its provider calls are audited under that request's id.
    const idsOf = (tool: string) =>
      new Set(mcpCalls.filter((r) => r.data.tool === tool).map((r) => r.data.requestId));
    const [listId, ...others] = idsOf("gmail_list_messages");
    assert.deepEqual(others, [], "the list and its gets share the MCP request's id");
    assert.match(String(listId), REQUEST_ID_PATTERN);
    assert.equal(idsOf("github_get_repo").size, 1);
    assert.equal(idsOf("github_get_repo").has(listId), false);
  } finally {
    await env.close();
  }
});

const NO_SEND = "I can only draft emails; I saved nothing and sent nothing.";
const NO_PAYROLL = "The payroll repository is off limits for agents.";

Deno.test("mcp: rules apply to tool calls; a tool every call of which is denied is not listed", async () => {
  const env = await mcpEnv({
    rules: [
      { name: "no_send", target: "gmail.users.messages.send", effect: "deny", llm_error: NO_SEND },
      {
        name: "no_payroll",
        target: "github.repos.*",
        effect: "deny",
        condition: { path_matches: "/repos/octo-org/payroll*" },
        llm_error: NO_PAYROLL,
      },
    ],
  });
  try {
    await env.consent("alice", "gmail");
    await env.consent("alice", "github");
    const { url } = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    const client = await mcpClient(url);
    try {
      const names = ((await client.listTools()) as { tools: Tool[] }).tools.map((t) => t.name);
      assert.ok(!names.includes("gmail_send_message"), "denied outright: not listed");
      assert.ok(names.includes("gmail_create_draft"));
      assert.ok(names.includes("github_get_repo"), "denied for some repositories only: listed");

      const payroll = await client.callTool({
        name: "github_get_repo",
        arguments: { owner: "octo-org", repo: "payroll" },
      });
      assert.equal(payroll.isError, true);
      assert.equal(textOf(payroll), `${NO_PAYROLL} (SX-POLICY-DENIED)`);
      const hello = await client.callTool({
        name: "github_get_repo",
        arguments: { owner: "octo-org", repo: "hello-world" },
      });
      assert.equal(hello.isError, undefined, textOf(hello));

      // The generic tool is the same pipeline: the send is refused there too.
      const sent = await client.callTool({
        name: "gmail_request",
        arguments: {
          method: "POST",
          path: "/gmail/v1/users/me/messages/send",
          body: { raw: "VG86IGJvYkBleGFtcGxlLmNvbQ0KDQpoaQ" },
        },
      });
      assert.equal(sent.isError, true);
      assert.equal(textOf(sent), `${NO_SEND} (SX-POLICY-DENIED)`);
      assert.deepEqual(env.fake.state.gmail.sent, []);
      const hidden = await client.callTool({
        name: "gmail_send_message",
        arguments: { to: "bob@example.com", subject: "x", body: "y" },
      });
      assert.equal(hidden.isError, true);
      assert.match(textOf(hidden), /SX-MCP-UNKNOWN-TOOL/);

      // Model input is checked at the edge: no header injection into the composed mail.
      const injected = await client.callTool({
        name: "gmail_create_draft",
        arguments: { to: "bob@example.com\r\nBcc: eve@evil.test", subject: "x", body: "y" },
      });
      assert.equal(injected.isError, true);
      assert.match(textOf(injected), /one line/);
      assert.equal(env.fake.state.gmail.drafts.size, 0);
    } finally {
      await client.close();
    }
    const audit = (await env.audit("proxy.request")).filter((r) => r.data.via === "mcp");
    assert.deepEqual(
      audit.map((r) => [r.data.tool, r.data.operation, r.data.decision, r.data.rules ?? null]),
      [
        ["github_get_repo", "github.repos.get", "denied", ["no_payroll"]],
        ["github_get_repo", "github.repos.get", "allowed", null],
        ["gmail_request", "gmail.users.messages.send", "denied", ["no_send"]],
      ],
    );
  } finally {
    await env.close();
  }
});

/** The error code of an MCP request refused at the HTTP level (before any tool runs). */
async function refusedCode(url: string, init: RequestInit = {}): Promise<string> {
  const res = await fetch(url, {
    method: "POST",
    ...init,
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...init.headers,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  const body = await res.json();
  assert.equal(res.status >= 400, true, JSON.stringify(body));
  return body.error.code;
}

Deno.test("mcp: grants — revocation, expiry, tampering, wrong app or entity, bearer form, agent removal", async () => {
  const env = await mcpEnv();
  try {
    await env.consent("alice", "gmail");
    const first = await env.getUrl({ entityId: "alice", agentId: "agent-1", providers: ["gmail"] });
    const grant = first.url.slice(first.url.lastIndexOf("/") + 1);

    // Revocation: refused on the next call of a connected client.
    const client = await mcpClient(first.url);
    const names = ((await client.listTools()) as { tools: Tool[] }).tools.map((t) => t.name);
    assert.ok(names.every((n) => n.startsWith("gmail_")), `only the granted provider: ${names}`);
    const other = await env.api(`/v1/mcp/urls/${first.id}`, { method: "DELETE", app: "other" });
    assert.equal(other.status, 404, "another app cannot revoke it");
    await other.body?.cancel();
    const revoked = await env.api(`/v1/mcp/urls/${first.id}`, { method: "DELETE" });
    assert.equal(revoked.status, 204);
    await assert.rejects(
      client.callTool({ name: "gmail_list_messages", arguments: {} }),
      /401|revoked/i,
    );
    await client.close().catch(() => {});
    assert.equal(await refusedCode(first.url), "SX-MCP-GRANT-REVOKED");

    // Expiry, on the appliance's clock.
    const short = await env.getUrl({ entityId: "alice", agentId: "agent-1", ttlSeconds: 60 });
    const shortClient = await mcpClient(short.url);
    await shortClient.listTools();
    env.advance(61_000);
    await assert.rejects(shortClient.listTools(), /401|expired/i);
    await shortClient.close().catch(() => {});
    assert.equal(await refusedCode(short.url), "SX-MCP-GRANT-EXPIRED");
    const tooLong = await env.api("/v1/mcp/urls", {
      method: "POST",
      body: JSON.stringify({ entityId: "alice", agentId: "agent-1", ttlSeconds: 31 * 86_400 }),
    });
    assert.equal(tooLong.status, 400);
    await tooLong.body?.cancel();

    // Tampering: any changed character, a forged signature, or none at all.
    const live = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    const liveGrant = live.url.slice(live.url.lastIndexOf("/") + 1);
    const at = liveGrant.length - 10;
    const flipped = liveGrant.slice(0, at) + (liveGrant[at] === "a" ? "b" : "a") +
      liveGrant.slice(at + 1);
    assert.equal(await refusedCode(`${env.publicUrl}/mcp/${flipped}`), "SX-MCP-GRANT-INVALID");
    const [head, secret] = liveGrant.split(".");
    const forged = `${head}.${secret}.${"0".repeat(64)}`;
    assert.equal(await refusedCode(`${env.publicUrl}/mcp/${forged}`), "SX-MCP-GRANT-INVALID");
    const swapped = `${grant.split(".")[0]}.${secret}.${liveGrant.split(".")[2]}`;
    assert.equal(await refusedCode(`${env.publicUrl}/mcp/${swapped}`), "SX-MCP-GRANT-INVALID");
    assert.equal(await refusedCode(`${env.publicUrl}/mcp`), "SX-MCP-GRANT-INVALID");
    assert.equal(
      await refusedCode(live.url, { headers: { origin: "https://evil.example" } }),
      "SX-MCP-ORIGIN",
    );

    const get = await fetch(live.url, { headers: { accept: "text/event-stream" } });
    assert.equal(get.status, 405, "stateless: no server-initiated stream");
    assert.equal(get.headers.get("allow"), "POST");
    assert.equal(get.headers.get("cache-control"), "no-store");

    // The bearer form of the MCP authorization spec.
    const bearer = await mcpClient(`${env.publicUrl}/mcp`, {
      headers: { authorization: `Bearer ${liveGrant}` },
    });
    const listed = await bearer.callTool({ name: "gmail_list_messages", arguments: {} });
    assert.equal(listed.isError, undefined, textOf(listed));
    await bearer.close();

    // Wrong app: "other" has no connection of alice's, and cannot grant an agent it lacks.
    const foreign = await env.getUrl({ entityId: "alice", agentId: "agent-1" }, "other");
    const foreignClient = await mcpClient(foreign.url);
    const foreignNames = ((await foreignClient.listTools()) as { tools: Tool[] }).tools.map((t) =>
      t.name
    );
    assert.deepEqual(foreignNames.sort(), ["connect_github", "connect_gmail"]);
    const noAgent = await env.api("/v1/mcp/urls", {
      method: "POST",
      app: "other",
      body: JSON.stringify({ entityId: "alice", agentId: "mail-bot" }),
    });
    assert.equal(noAgent.status, 403);
    assert.equal((await noAgent.json()).error.code, "SX-AGENT-UNKNOWN");

    // Wrong entity: bob's grant sees none of alice's mail, and is offered a device-flow link.
    const bob = await mcpClient((await env.getUrl({ entityId: "bob", agentId: "agent-1" })).url);
    const bobNames = ((await bob.listTools()) as { tools: Tool[] }).tools.map((t) => t.name);
    assert.deepEqual(bobNames.sort(), ["connect_github", "connect_gmail"]);
    const mail = await bob.callTool({ name: "gmail_list_messages", arguments: {} });
    assert.equal(mail.isError, true);
    const link = JSON.parse(textOf(await bob.callTool({ name: "connect_gmail", arguments: {} })));
    assert.equal(link.url, `${env.publicUrl}/device`);
    assert.match(link.code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await bob.close();

    // Removing the agent revokes every grant it has, at the next request.
    const removed = await env.api("/v1/agents/agent-1", { method: "DELETE", app: "other" });
    assert.equal(removed.status, 204);
    await assert.rejects(foreignClient.listTools(), /401|revoked/i);
    await foreignClient.close().catch(() => {});
    assert.equal(await refusedCode(foreign.url), "SX-MCP-GRANT-REVOKED");

    // Nothing secret in the audit trail or the logs.
    const token = (await storedCredential(env.temp.appliance, "alice", "gmail"))!.accessToken;
    const dump = await env.auditDump();
    const logs = env.logs.join("\n");
    for (const secretText of [grant, liveGrant, secret, liveGrant.split(".")[2], token]) {
      assert.equal(dump.includes(secretText), false, "no grant or token in the audit trail");
      assert.equal(logs.includes(secretText), false, "no grant or token in the logs");
    }
    const created = await env.audit("admin.mcp_url.created");
    assert.equal(created.length, 5);
    assert.ok(created.every((r) => typeof r.data.grantId === "string"));
  } finally {
    await env.close();
  }
});

Deno.test("mcp: removing an agent revokes its URLs for good, audited; an agent added again under the same id does not bring them back", async () => {
  const env = await mcpEnv();
  try {
    await env.consent("alice", "gmail");
    const old = await env.getUrl({ entityId: "alice", agentId: "agent-1", providers: ["gmail"] });
    const bob = await env.getUrl({ entityId: "bob", agentId: "agent-1" });
    const ended = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    const revoked = await env.api(`/v1/mcp/urls/${ended.id}`, { method: "DELETE" });
    assert.equal(revoked.status, 204);
    const second = await env.api("/v1/agents", {
      method: "POST",
      body: JSON.stringify({ agentId: "mail-agent" }),
    });
    assert.equal(second.status, 201);
    await second.body?.cancel();
    const otherAgent = await env.getUrl({ entityId: "alice", agentId: "mail-agent" });
    const del = await env.api("/v1/agents/agent-1", { method: "DELETE" });
    assert.equal(del.status, 204);
    assert.equal(await refusedCode(old.url), "SX-MCP-GRANT-REVOKED");
    // The operator registers an agent under the same id again.
    const add = await env.api("/v1/agents", {
      method: "POST",
      body: JSON.stringify({ agentId: "agent-1" }),
    });
    assert.equal(add.status, 201);
    await add.body?.cancel();
    for (const url of [old.url, bob.url, ended.url]) {
      assert.equal(await refusedCode(url), "SX-MCP-GRANT-REVOKED", "the old URLs stay ended");
    }
    const client = await mcpClient(old.url).catch((e: unknown) => e);
    assert.ok(client instanceof Error, "the old URL does not work again");
    // Another agent's URL is untouched; the new agent gets URLs of its own.
    const kept = await mcpClient(otherAgent.url);
    await kept.listTools();
    await kept.close();
    const fresh = await mcpClient(
      (await env.getUrl({ entityId: "alice", agentId: "agent-1", providers: ["gmail"] })).url,
    );
    const listed = await fresh.callTool({ name: "gmail_list_messages", arguments: {} });
    assert.equal(listed.isError, undefined, textOf(listed));
    await fresh.close();
    const { rows } = await env.temp.appliance.database.client.execute(
      "SELECT id, revoked_at FROM mcp_grants WHERE id IN (?, ?)",
      [old.id, bob.id],
    );
    assert.ok(rows.every((r) => r.revoked_at !== null), "revoked in the database");
    // Each URL the removal ended is audited as a revocation; the one already revoked is not again.
    const records = await env.audit("admin.mcp_url.revoked");
    const byRemoval = records.filter((r) => r.data.reason === "agent_removed");
    assert.deepEqual(byRemoval.map((r) => r.data.grantId).sort(), [old.id, bob.id].sort());
    assert.ok(
      byRemoval.every((r) => r.agentId === "agent-1" && String(r.data.actor).startsWith("api:")),
    );
    const [removal] = await env.audit("admin.agent.removed");
    assert.equal(removal.data.mcpUrlsRevoked, 2);
  } finally {
    await env.close();
  }
});

Deno.test("mcp: a tool call under an approve rule goes through once after approval when the model calls it again with the same arguments; only that caller's, only that call", async () => {
  const env = await mcpEnv({
    rules: [{ name: "send_ok", target: "gmail.users.messages.send", effect: "approve" }],
  });
  try {
    await env.consent("alice", "gmail");
    const add = await env.api("/v1/agents", {
      method: "POST",
      body: JSON.stringify({ agentId: "mail-agent" }),
    });
    assert.equal(add.status, 201);
    await add.body?.cancel();
    const { url } = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    const client = await mcpClient(url);
    const db = env.temp.appliance.database;
    const approvals = async () =>
      (await db.client.execute("SELECT id, status FROM approvals ORDER BY created_at, id")).rows
        .map((r) => ({ id: String(r.id), status: String(r.status) }));
    const approve = (id: string) =>
      decideApproval({ database: db, now: Date.now, ttlMs: 3600_000 }, {
        id,
        decision: "approve",
        by: { actor: "cli" },
      });
    const sent = () => env.fake.state.gmail.sent.length;
    const args = { to: "bob@example.com", subject: "hi", body: "hello" };
    const send = async (a: Record<string, unknown> = args, c = client) =>
      textOf(await c.callTool({ name: "gmail_send_message", arguments: a }));
    try {
      const first = await send();
      assert.match(first, /SX-APPROVAL-REQUIRED/);
      // What the model can do: call the tool again. It cannot send a header.
      assert.match(first, /call this tool again with exactly the same arguments/);
      assert.doesNotMatch(first, /securix-approval-id/);
      // Called again before anyone decided: the same approval, no second request to alice.
      assert.match(await send(), /SX-APPROVAL-REQUIRED/);
      const [held] = await approvals();
      assert.equal((await approvals()).length, 1);
      await approve(held.id);

      // Other arguments, or another agent's URL for the same user, do not use it.
      assert.match(await send({ ...args, subject: "other" }), /SX-APPROVAL-REQUIRED/);
      const other = await mcpClient(
        (await env.getUrl({ entityId: "alice", agentId: "mail-agent" })).url,
      );
      assert.match(await send(args, other), /SX-APPROVAL-REQUIRED/);
      await other.close();
      assert.equal(sent(), 0);
      assert.equal((await approvals()).find((a) => a.id === held.id)?.status, "approved");

      // The same call again goes through, once.
      const done = JSON.parse(await send());
      assert.equal(typeof done.id, "string", JSON.stringify(done));
      assert.equal(sent(), 1);
      assert.equal((await approvals()).find((a) => a.id === held.id)?.status, "used");
      const third = await send();
      assert.match(third, /SX-APPROVAL-REQUIRED/, "single use: a third send asks again");
      assert.equal(sent(), 1);
      assert.equal((await approvals()).length, 4, "held, other subject, other agent, third");
      // Two calls at once after one approval: exactly one goes through.
      await approve((await approvals()).at(-1)!.id);
      const both = await Promise.all([send(), send()]);
      assert.equal(sent(), 2, "one send for one approval");
      assert.equal(both.filter((t) => /SX-APPROVAL-REQUIRED/.test(t)).length, 1, both.join(" | "));
      const records = await env.audit("proxy.request");
      const passed = records.filter((r) => r.data.decision === "allowed");
      assert.equal(passed.length, 2);
      assert.equal((passed[0].data.notes as Record<string, unknown>).approval, held.id);
      assert.equal(passed[0].data.via, "mcp");
    } finally {
      await client.close();
    }
  } finally {
    await env.close();
  }
});

Deno.test("mcp: a denied tool call called again with the same arguments is denied at once, asking nobody again, until approval_ttl after the decision", async () => {
  const env = await mcpEnv({
    rules: [{ name: "send_ok", target: "gmail.users.messages.send", effect: "approve" }],
  });
  try {
    await env.consent("alice", "gmail");
    const { appliance } = env.temp;
    const db = appliance.database;
    const app = (await findApp(db.db, "demo"))!;
    // The person is told through this webhook: no new request means no new delivery row.
    await addEndpoint(
      { db: db.db, vault: appliance.vault, now: Date.now },
      app.id,
      "https://hooks.example.com/securix",
      ["approval.requested"],
    );
    const count = async (sql: string) => Number((await db.client.execute(sql)).rows[0].n);
    const asked = () =>
      count("SELECT count(*) AS n FROM webhook_deliveries WHERE event_type = 'approval.requested'");
    const held = () => count("SELECT count(*) AS n FROM approvals");
    const { url } = await env.getUrl({ entityId: "alice", agentId: "agent-1", ttlSeconds: 86_400 });
    const client = await mcpClient(url);
    const args = { to: "bob@example.com", subject: "hi", body: "hello" };
    const send = async (a: Record<string, unknown> = args) =>
      textOf(await client.callTool({ name: "gmail_send_message", arguments: a }));
    try {
      assert.match(await send(), /SX-APPROVAL-REQUIRED/);
      const { rows } = await db.client.execute("SELECT id FROM approvals");
      const id = String(rows[0].id);
      const denied = await decideApproval({ database: db, now: Date.now, ttlMs: 3600_000 }, {
        id,
        decision: "deny",
        by: { actor: "cli" },
      });
      // What a held (`wait`) call gets when the person denies while it waits.
      const answer = refusalResult(approvalErrors.denied(denied));

      // The model retries, in a loop: the denial each time, and alice is not asked again.
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(
          await client.callTool({ name: "gmail_send_message", arguments: args }),
          answer,
        );
      }
      assert.match(await send(), /SX-APPROVAL-DENIED/);
      assert.equal(await held(), 1, "no new approval");
      assert.equal(await asked(), 1, "no new approval.requested webhook");
      assert.equal((await env.audit("approval.requested")).length, 1);
      const refused = (await env.audit("proxy.request")).filter((r) =>
        r.data.error === "SX-APPROVAL-DENIED"
      );
      assert.equal(refused.length, 4);
      assert.equal((refused[0].data.notes as Record<string, unknown>).approval, id);

      // Only this very call: other arguments ask the person.
      assert.match(await send({ ...args, subject: "other" }), /SX-APPROVAL-REQUIRED/);
      assert.equal(await held(), 2);
      // Once approval_ttl has passed since the decision, the same call asks again.
      env.advance(3600_000 + 1_000);
      assert.match(await send(), /SX-APPROVAL-REQUIRED/);
      assert.equal(await held(), 3);
      assert.equal(await asked(), 3);
      assert.equal(env.fake.state.gmail.sent.length, 0);
    } finally {
      await client.close();
    }
  } finally {
    await env.close();
  }
});

Deno.test("mcp: removing an agent ends its approvals; an agent added again under the same id cannot use a call approved for the removed one", async () => {
  const env = await mcpEnv({
    rules: [{ name: "send_ok", target: "gmail.users.messages.send", effect: "approve" }],
  });
  try {
    await env.consent("alice", "gmail");
    const db = env.temp.appliance.database;
    const args = { to: "bob@example.com", subject: "hi", body: "hello" };
    const send = async (url: string) => {
      const client = await mcpClient(url);
      try {
        return textOf(await client.callTool({ name: "gmail_send_message", arguments: args }));
      } finally {
        await client.close();
      }
    };
    const old = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    assert.match(await send(old.url), /SX-APPROVAL-REQUIRED/);
    const second = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    const { rows } = await db.client.execute("SELECT id FROM approvals");
    await decideApproval({ database: db, now: Date.now, ttlMs: 3600_000 }, {
      id: String(rows[0].id),
      decision: "approve",
      by: { actor: "cli" },
    });
    assert.equal((await env.api("/v1/agents/agent-1", { method: "DELETE" })).status, 204);
    const add = await env.api("/v1/agents", {
      method: "POST",
      body: JSON.stringify({ agentId: "agent-1" }),
    });
    assert.equal(add.status, 201);
    await add.body?.cancel();
    assert.equal(await refusedCode(second.url), "SX-MCP-GRANT-REVOKED");
    const fresh = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    assert.match(await send(fresh.url), /SX-APPROVAL-REQUIRED/, "the old approval is not used");
    assert.equal(env.fake.state.gmail.sent.length, 0);
    const status = await db.client.execute({
      sql: "SELECT status, expires_at FROM approvals WHERE id = ?",
      args: [String(rows[0].id)],
    });
    assert.equal(status.rows[0].status, "approved", "never used");
    assert.ok(Number(status.rows[0].expires_at) <= Date.now(), "ended when the agent was removed");
    const [removal] = await env.audit("admin.agent.removed");
    assert.equal(removal.data.approvalsEnded, 1);
  } finally {
    await env.close();
  }
});

Deno.test("mcp: curated Slack, Drive and GitHub tools against the fake APIs; other providers get <provider>_request", async () => {
  const env = await rulesEnv();
  try {
    const res = await fetch(`${env.base}/v1/mcp/urls`, {
      method: "POST",
      headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
      body: JSON.stringify({ entityId: "alice", agentId: "agent-1" }),
    });
    assert.equal(res.status, 201);
    const { url } = await res.json();
    // The appliance's public URL is localhost here; the test reaches it by address.
    const client = await mcpClient(url.replace(/^http:\/\/localhost:\d+/, env.base));
    try {
      const names = ((await client.listTools()) as { tools: Tool[] }).tools.map((t) => t.name);
      for (
        const name of [
          "slack_post_message",
          "drive_search_files",
          "github_create_issue",
          "microsoft_request",
          "drive_request",
        ]
      ) assert.ok(names.includes(name), `${name} in ${names}`);

      const posted = await client.callTool({
        name: "slack_post_message",
        arguments: { channel: "general", text: "Deploy done" },
      });
      assert.equal(posted.isError, undefined, textOf(posted));
      assert.match(JSON.parse(textOf(posted)).ts, /^\d+\.\d+$/);
      assert.equal(env.fake.state.slack.posted.at(-1)?.message.text, "Deploy done");

      const found = await client.callTool({
        name: "drive_search_files",
        arguments: { query: "Roadmap" },
      });
      assert.equal(found.isError, undefined, textOf(found));
      const files = JSON.parse(textOf(found)).files as { name: string }[];
      assert.ok(files.some((f) => f.name === "Roadmap 2025"), textOf(found));

      const issue = await client.callTool({
        name: "github_create_issue",
        arguments: { owner: "octo-org", repo: "hello-world", title: "From an agent" },
      });
      assert.equal(issue.isError, undefined, textOf(issue));
      assert.equal(JSON.parse(textOf(issue)).title, "From an agent");

      const missing = await client.callTool({
        name: "github_get_repo",
        arguments: { owner: "octo-org", repo: "nope" },
      });
      assert.equal(missing.isError, true);
      assert.match(textOf(missing), /^The provider refused the call \(HTTP 404\)/);

      const me = await client.callTool({
        name: "microsoft_request",
        arguments: { method: "GET", path: "/v1.0/me" },
      });
      assert.equal(me.isError, undefined, textOf(me));
      assert.equal(JSON.parse(textOf(me)).status, 200);
    } finally {
      await client.close();
    }
  } finally {
    await env.close();
  }
});

Deno.test("mcp: redact and hide rules shape what the tools return, with the answers Gmail compresses", async () => {
  const env = await rulesEnv({
    rules: [
      {
        name: "redact_pii",
        target: "google.*",
        effect: "redact",
        patterns: ["ssn", "credit_card"],
      },
      { name: "hide_hr", target: "gmail.*", effect: "hide", labels: ["HR"] },
    ],
  });
  try {
    env.fake.gzip = true;
    const res = await fetch(`${env.base}/v1/mcp/urls`, {
      method: "POST",
      headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
      body: JSON.stringify({ entityId: "alice", agentId: "agent-1", providers: ["gmail"] }),
    });
    const { url } = await res.json();
    const client = await mcpClient(url.replace(/^http:\/\/localhost:\d+/, env.base));
    try {
      const got = await client.callTool({
        name: "gmail_get_message",
        arguments: { id: MESSAGE_IDS.CARD_ON_FILE },
      });
      assert.equal(got.isError, undefined, textOf(got));
      const text = JSON.parse(textOf(got)).text as string;
      assert.match(text, /\[REDACTED:credit_card\]/);
      assert.ok(!text.includes(PII.card) && !text.includes(PII.ssn), text);

      const listed = await client.callTool({
        name: "gmail_list_messages",
        arguments: { maxResults: 25 },
      });
      assert.equal(listed.isError, undefined, textOf(listed));
      const ids = (JSON.parse(textOf(listed)).messages as { id: string }[]).map((m) => m.id);
      assert.ok(ids.length > 0);
      assert.ok(!ids.includes(MESSAGE_IDS.HR_PAYROLL) && !ids.includes(MESSAGE_IDS.HR_BENEFITS));
      const hr = await client.callTool({
        name: "gmail_get_message",
        arguments: { id: MESSAGE_IDS.HR_PAYROLL },
      });
      assert.equal(hr.isError, true, "a hidden message cannot be read by id either");
    } finally {
      await client.close();
    }
  } finally {
    await env.close();
  }
});

Deno.test("mcp: a provider answer compressed unasked is decoded for the model", async () => {
  const env = await rulesEnv();
  try {
    env.fake.gzip = "always";
    const res = await fetch(`${env.base}/v1/mcp/urls`, {
      method: "POST",
      headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
      body: JSON.stringify({ entityId: "alice", agentId: "agent-1", providers: ["github"] }),
    });
    const { url } = await res.json();
    const client = await mcpClient(url.replace(/^http:\/\/localhost:\d+/, env.base));
    try {
      const repo = await client.callTool({
        name: "github_get_repo",
        arguments: { owner: "octo-org", repo: "hello-world" },
      });
      assert.equal(repo.isError, undefined, textOf(repo));
      assert.equal(JSON.parse(textOf(repo)).full_name, GITHUB_REPOS.HELLO_WORLD);
      assert.ok(env.fake.seenBy("github").at(-1)?.gzip, "the fake did compress");
    } finally {
      await client.close();
    }
  } finally {
    await env.close();
  }
});
