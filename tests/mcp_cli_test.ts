/**
 * `securix mcp list|revoke` as operators run it: the real CLI as a subprocess
 * on the database of an appliance serving in this process. A revocation made
 * there ends the URL at its next request (grants are read on every request).
 */
import assert from "node:assert/strict";
import { mcpClient, mcpEnv } from "./helpers/mcp_env.ts";
import { runCliProcess } from "./helpers/process.ts";

Deno.test("mcp cli: list shows URLs without the grant; revoke ends one at its next request", async () => {
  const env = await mcpEnv();
  try {
    const kept = await env.getUrl({ entityId: "alice", agentId: "agent-1" });
    const ended = await env.getUrl({ entityId: "bob", agentId: "agent-1", providers: ["github"] });
    const cli = (...args: string[]) =>
      runCliProcess(["--config", env.temp.configPath, "mcp", ...args], { cwd: env.temp.dir });

    const listed = await cli("list", "--app", "demo", "--json");
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as Record<string, string>[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.entityId, r.providers, r.state]).sort(),
      [
        [ended.id, "bob", "github", "active"],
        [kept.id, "alice", "all", "active"],
      ].sort(),
    );
    for (const url of [kept.url, ended.url]) {
      assert.equal(listed.stdout.includes(url.slice(url.lastIndexOf("/") + 1)), false);
    }

    const client = await mcpClient(ended.url);
    await client.listTools();
    const revoked = await cli("revoke", ended.id);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked MCP URL ${ended.id}`));
    await assert.rejects(client.listTools(), /401|revoked/i);
    await client.close().catch(() => {});
    const stillThere = await mcpClient(kept.url);
    await stillThere.listTools();
    await stillThere.close();

    const again = await cli("revoke", ended.id);
    assert.match(again.stdout, /already revoked/);
    const unknown = await cli("revoke", "mcp_aaaaaaaaaaaaaaaa");
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /SX-MCP-GRANT-NOT-FOUND|No MCP URL/);
    const table = await cli("list");
    assert.match(table.stdout, /revoked/);
    const [event] = await env.audit("admin.mcp_url.revoked");
    assert.equal(event.data.grantId, ended.id);
    assert.equal(event.data.actor, "cli");
  } finally {
    await env.close();
  }
});
