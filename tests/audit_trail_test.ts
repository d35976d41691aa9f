/**
 * One append-only log for auth events, administrative actions and proxied
 * requests, written by the serving process and by CLI processes on the same
 * database: every kind shows up, no secret does, and the chain verifies until
 * one auth record is edited.
 */
import assert from "node:assert/strict";
import { setup, startDeviceConsent } from "./helpers/flow_env.ts";
import { runCliProcess } from "./helpers/process.ts";
import { storedCredential } from "./helpers/seed.ts";
import { listRecords } from "../src/audit/read_records.ts";

Deno.test("audit trail: auth, admin (API and CLI) and proxy records in one verifiable chain, no secrets", async () => {
  let clock = Date.now();
  const env = await setup({
    now: () => clock,
    // A public receiver by name; nothing is sent over the network.
    webhookResolve: () => Promise.resolve(["93.184.215.14"]),
    webhookSend: () => Promise.resolve(204),
  });
  const { client } = env.appliance.database;
  const dir = env.appliance.config.source!.replace(/\/[^/]+$/, "");
  const cli = (...args: string[]) =>
    runCliProcess(args, { cwd: dir, env: { USER: "auditor", SUDO_USER: "" } });
  const secrets: Record<string, string> = { apiKey: env.apiKey, clientSecret: "s3cret" };
  const credential = async (entityId: string) =>
    (await storedCredential(env.appliance, entityId))! as {
      accessToken: string;
      refreshToken: string;
    };
  try {
    const keyId = String((await client.execute("SELECT id FROM api_keys")).rows[0].id);

    // Administrative actions through /v1, as the app's key.
    const hook = await env.api("/v1/webhooks", {
      method: "POST",
      body: JSON.stringify({
        url: "https://hooks.example.test/hooks/in?token=hook-query-secret",
        events: ["webhook.test"],
      }),
    });
    assert.equal(hook.status, 201);
    const endpoint = await hook.json();
    secrets.webhookSecret = endpoint.secret;
    secrets.webhookQuery = "hook-query-secret";
    const tested = await env.api("/v1/webhooks/test", { method: "POST" });
    assert.deepEqual([tested.status, await tested.json()], [202, { queued: 1 }]);
    const agent = await env.api("/v1/agents", {
      method: "POST",
      body: JSON.stringify({ agentId: "agent-2" }),
    });
    assert.equal(agent.status, 201);
    await agent.body?.cancel();

    // A device consent that completes, one the user declines, one left to expire.
    const { browser, providerUrl } = await startDeviceConsent(env, "user-a");
    const callback = await env.oidc.loginAndConsent(providerUrl, { accountId: "alice" });
    secrets.authorizationCode = new URL(callback).searchParams.get("code")!;
    secrets.state = new URL(callback).searchParams.get("state")!;
    await (await browser.go(callback)).body?.cancel();
    const first = await credential("user-a");
    secrets.accessToken = first.accessToken;
    secrets.refreshToken = first.refreshToken;
    const declined = await startDeviceConsent(env, "user-b");
    const state = new URL(declined.providerUrl).searchParams.get("state");
    await (await declined.browser.go(
      `${env.publicUrl}/oauth/callback?error=access_denied&state=${state}`,
    )).body?.cancel();
    const late = await (await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({ entityId: "user-c", flow: "device", providers: { gmail: {} } }),
    })).json();
    secrets.deviceCode = late.deviceAuthCode;

    // Proxied requests; two hours later the session has expired and the token is refreshed.
    env.setExpected(async () => (await credential("user-a")).accessToken);
    const proxy = async () => {
      const res = await fetch(
        `${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages?q=secret-query-value`,
        {
          headers: {
            "securix-api-key": env.apiKey,
            "securix-entity-id": "user-a",
            "securix-agent-id": "agent-1",
          },
        },
      );
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    };
    await proxy();
    clock += 2 * 3_600_000;
    assert.equal(
      (await (await env.api(`/v1/auth/sessions/${late.sessionId}`)).json()).status,
      "expired",
    );
    await proxy();
    const second = await credential("user-a");
    assert.notEqual(second.accessToken, first.accessToken, "the token was refreshed");
    secrets.refreshedAccessToken = second.accessToken;
    secrets.refreshedRefreshToken = second.refreshToken;
    secrets.queryValue = "secret-query-value";

    // Administrative actions from the CLI: another process on the same database.
    const created = await cli("keys", "create", "demo", "--json");
    assert.equal(created.code, 0, created.stderr);
    const cliKey = JSON.parse(created.stdout);
    secrets.cliApiKey = cliKey.key;
    assert.equal((await cli("keys", "revoke", cliKey.id)).code, 0);
    assert.equal((await cli("agents", "remove", "demo", "agent-2")).code, 0);
    const deliveryId = String(
      (await client.execute("SELECT id FROM webhook_deliveries LIMIT 1")).rows[0].id,
    );
    assert.equal((await cli("webhooks", "redeliver", deliveryId)).code, 0);
    const rotated = await cli("webhooks", "rotate-secret", endpoint.id, "--json");
    assert.equal(rotated.code, 0, rotated.stderr);
    secrets.rotatedWebhookSecret = JSON.parse(rotated.stdout).secret;

    // The app revokes the connection.
    const conn = (await (await env.api("/v1/connections?entityId=user-a")).json()).connections[0];
    assert.equal((await env.api(`/v1/connections/${conn.id}`, { method: "DELETE" })).status, 204);
    await env.runtime.audit!.flush();

    const records = await listRecords(env.appliance.database.db);
    const rows = (await client.execute("SELECT * FROM audit_log ORDER BY seq")).rows;
    const of = (kind: string) => records.filter((r) => r.kind === kind);
    for (
      const kind of [
        "admin.providers.loaded",
        "admin.webhook.added",
        "admin.agent.added",
        "session.created",
        "session.completed",
        "connection.created",
        "session.failed",
        "session.expired",
        "proxy.request",
        "connection.refreshed",
        "admin.key.created",
        "admin.key.revoked",
        "admin.agent.removed",
        "admin.webhook.secret_rotated",
        "admin.webhook.tested",
        "admin.webhook.redelivered",
        "connection.revoked",
      ]
    ) {
      assert.ok(
        of(kind).length > 0,
        `no ${kind} record; kinds: ${[...new Set(records.map((r) => r.kind))]}`,
      );
    }
    assert.equal(of("session.created").length, 3);
    assert.equal(of("session.failed")[0].data.reason, "access_denied");
    assert.equal(of("session.expired")[0].data.sessionId, late.sessionId);
    assert.equal(of("connection.revoked")[0].data.actor, `api:${keyId}`);
    assert.equal(of("admin.agent.added")[0].data.actor, `api:${keyId}`);
    assert.equal(of("admin.agent.added")[0].agentId, "agent-2");
    assert.deepEqual(of("admin.webhook.added")[0].data.origin, "https://hooks.example.test");
    assert.deepEqual(
      (of("admin.providers.loaded")[0].data.providers as { name: string }[]).map((p) => p.name),
      ["gmail"],
    );
    for (
      const kind of [
        "admin.key.created",
        "admin.key.revoked",
        "admin.agent.removed",
        "admin.webhook.secret_rotated",
        "admin.webhook.redelivered",
      ]
    ) {
      const { data } = of(kind).at(-1)!;
      assert.deepEqual([data.actor, data.osUser], ["cli", "auditor"], kind);
    }
    assert.equal(of("admin.key.revoked")[0].data.keyId, cliKey.id);
    assert.deepEqual(of("admin.webhook.tested")[0].data, { queued: 1, actor: `api:${keyId}` });
    assert.equal(of("admin.webhook.redelivered")[0].data.deliveryId, deliveryId);
    assert.equal(of("connection.created")[0].data.accountId, "alice");

    const table = JSON.stringify(rows);
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(value && value.length >= 6, `${name} was captured`);
      assert.equal(table.includes(value), false, `the audit log contains the ${name}`);
    }

    const verified = await cli("audit", "verify");
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(
      verified.stdout,
      new RegExp(`Audit chain intact: ${records.length} records verified`),
    );
    const exported = await cli("audit", "export", "--kind", "session,connection");
    assert.equal(exported.code, 0, exported.stderr);
    const lines = exported.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(
      lines.length,
      records.filter((r) => /^(session|connection)\./.test(r.kind)).length,
    );

    // Edit one auth record: verification fails and names it.
    const revoked = of("connection.revoked")[0];
    await client.execute({
      sql: "UPDATE audit_log SET entity_id = 'someone-else' WHERE seq = ?",
      args: [revoked.seq],
    });
    const broken = await cli("audit", "verify");
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`BROKEN at record #${revoked.seq} \\(${revoked.id}\\)`));
  } finally {
    await env.close();
  }
});
