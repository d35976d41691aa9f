/**
 * MCP end to end: the official SDK client over Streamable HTTP against a
 * served appliance, with connections made through the real consent flow.
 */
import assert from "node:assert/strict";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { mcpClient, mcpEnv, textOf } from "./helpers/mcp_env.ts";

Deno.test("mcp: the SDK client lists tools and calls gmail and github after a real consent", async () => {
  const env = await mcpEnv();
  try {
    await env.consent("alice", "gmail");
    await env.consent("alice", "github");
    const { url, id, expiresAt } = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
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
  } finally {
    await env.close();
  }
});
