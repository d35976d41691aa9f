/**
 * The MCP door to the same attack as the gateway's: `connect_<provider>` hands
 * the agent a device code, which the agent can enter itself and finish with
 * its own account. It is offered when the user's connection needs
 * reauthorisation, so the consent is an agent's and may only reconnect the
 * account already connected.
 */
import assert from "node:assert/strict";
import { getConnection } from "../src/connections/connection_store.ts";
import { Browser, csrfOf } from "./helpers/flow_env.ts";
import { mcpClient, mcpEnv, textOf } from "./helpers/mcp_env.ts";

type McpEnv = Awaited<ReturnType<typeof mcpEnv>>;

/** alice's consent to gmail, as the user gives it: the database and the connection's id. */
async function aliceConnectsGmail(env: McpEnv) {
  await env.consent("alice", "gmail");
  const db = env.temp.appliance.database;
  const { rows } = await db.client.execute("SELECT id FROM connections WHERE provider = 'gmail'");
  return { db, id: String(rows[0].id) };
}

/**
 * The agent asks connect_gmail for alice's link and plays the user itself, in
 * its own browser, signed in as `accountId`: the consent page, the done page.
 */
async function agentEntersCode(env: McpEnv, accountId: string) {
  const client = await mcpClient(
    (await env.getUrl({ entityId: "alice", agentId: "agent-1" })).url,
  );
  const link = JSON.parse(textOf(await client.callTool({ name: "connect_gmail", arguments: {} })));
  await client.close();
  const browser = new Browser();
  const entry = await browser.go(link.url);
  const entered = await browser.form(link.url, {
    csrf: csrfOf(await entry.text()),
    code: link.code,
  });
  const connectUrl = `${env.publicUrl}${entered.headers.get("location")}`;
  const html = await (await browser.go(connectUrl)).text();
  const started = await browser.form(`${connectUrl}/continue`, { csrf: csrfOf(html) });
  const callback = await env.oidc.loginAndConsent(started.headers.get("location")!, {
    accountId,
  });
  const done = await browser.go(callback);
  return { html, done, page: await done.text() };
}

Deno.test({
  name:
    "mcp account swap: connect_gmail's code, entered by the agent with another account, is refused; the user's connection stays",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await mcpEnv();
    try {
      const { db, id } = await aliceConnectsGmail(env);
      await db.client.execute({
        sql: "UPDATE connections SET status = 'needs_reauth', version = version + 1 WHERE id = ?",
        args: [id],
      });
      const { html, done, page } = await agentEntersCode(env, "mallory");

      const kept = await getConnection(db.db, id);
      assert.equal(kept?.account?.id, "alice", "the agent's consent swapped the account");
      assert.equal(kept?.status, "needs_reauth");
      assert.equal(done.status, 403);
      assert.match(page, /SX-ACCOUNT-MISMATCH/);
      assert.match(html, /only reconnect alice@example\.test/);
      const failed = await env.audit("session.failed");
      assert.equal(failed.at(-1)?.data.reason, "account_mismatch");
      assert.equal((await env.audit("session.account_refused")).length, 1);
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "mcp account swap: after the user revoked gmail, connect_gmail's code entered with another account is refused",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await mcpEnv();
    try {
      const { db, id } = await aliceConnectsGmail(env);
      const gone = await fetch(`${env.publicUrl}/v1/connections/${id}`, {
        method: "DELETE",
        headers: { "securix-api-key": env.apiKey() },
      });
      assert.equal(gone.status, 204);
      const { html, done, page } = await agentEntersCode(env, "mallory");

      const rows = (await db.client.execute(
        "SELECT status, account FROM connections WHERE provider = 'gmail' AND entity_id = 'alice'",
      )).rows;
      assert.deepEqual(rows.map((r) => r.status), ["revoked"], "mallory's account was connected");
      assert.equal(done.status, 403);
      assert.match(page, /SX-ACCOUNT-MISMATCH/);
      assert.match(page, /stays disconnected/);
      assert.match(html, /only reconnect alice@example\.test/);
    } finally {
      await env.close();
    }
  },
});
