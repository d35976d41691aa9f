/**
 * Erasing one end user (`DELETE /v1/entities/{entityId}`, `securix entities
 * erase`) on a real appliance: two entities with connections, portal
 * choices, sessions, links, an MCP URL and a held approval; one is erased,
 * the other keeps everything. Revocation goes to a real OAuth server, the
 * proxied API is a real socket.
 */
import assert from "node:assert/strict";
import { createApiKey } from "../src/apps/key_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { runCli } from "../src/cli/main.ts";
import { getConnection } from "../src/connections/connection_store.ts";
import { approvals } from "../src/db/schema.ts";
import { Securix } from "../src/sdk/server_client.ts";
import { SecurixApiError } from "../src/sdk/sdk_error.ts";
import { createPortalLink } from "../src/portal/portal_link_store.ts";
import { listChoices, setChoice } from "../src/portal/portal_choice_store.ts";
import { startPortalSession } from "../src/portal/portal_session_store.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { seedApp, seedConnection, vaultCredential } from "./helpers/seed.ts";
import { LOOPBACK_INFO, openTempRuntime } from "./helpers/temp_runtime.ts";

const ENTITIES = ["user-1", "user-2"];

async function scene() {
  const oidc = await startOidcServer({ clients: [applianceClient("http://127.0.0.1:9")] });
  const api = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ messages: [] }),
  );
  const { temp, runtime, cleanup } = await openTempRuntime({
    raw: { providers: { gmail: providerAt(oidc, `http://127.0.0.1:${api.addr.port}`) } },
  });
  const { appliance } = temp;
  const db = appliance.database.db;
  const { app, apiKey } = await seedApp(appliance, { name: "demo" });
  const { secret: agentKey } = await createApiKey(db, app.id, appliance, "agent", "agent-1");
  await addEndpoint(
    { db, vault: appliance.vault, now: appliance.now },
    app.id,
    "https://hooks.example/in",
    ["*"],
  );
  const now = appliance.now();
  for (const entityId of ENTITIES) {
    await seedConnection(appliance, {
      id: `con_${entityId}`,
      appId: app.id,
      entityId,
      provider: "gmail",
      accessToken: `at-${entityId}`,
      refreshToken: `rt-${entityId}`,
    });
    await setChoice(
      db,
      {
        appId: app.id,
        entityId,
        kind: "hide_label",
        value: "Label_1",
        label: "Private",
      },
      true,
      now,
    );
    await startPortalSession(db, { appId: app.id, entityId, returnUrl: null }, now);
    await createPortalLink(db, { appId: app.id, entityId, returnUrl: null }, now);
    await db.insert(approvals).values({
      id: `apr_${entityId === "user-1" ? "a" : "b"}${"a".repeat(15)}`,
      appId: app.id,
      agentId: "agent-1",
      entityId,
      connectionId: `con_${entityId}`,
      provider: "gmail",
      operation: "gmail.messages.send",
      rule: "ask",
      method: "POST",
      path: "/gmail/v1/users/me/messages/send",
      requestHash: "0".repeat(64),
      summary: JSON.stringify({ action: "send" }),
      status: "pending",
      createdAt: now,
      expiresAt: now + 600_000,
      approveDigest: `ad-${entityId}`,
      denyDigest: `dd-${entityId}`,
    });
  }
  const call = async (method: string, path: string, key = apiKey, body?: unknown) => {
    const res = await runtime.handler(
      new Request(`http://127.0.0.1${path}`, {
        method,
        headers: { "securix-api-key": key, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      LOOPBACK_INFO,
    );
    return { status: res.status, body: await res.json() };
  };
  for (const entityId of ENTITIES) {
    const made = await call("POST", "/v1/mcp/urls", apiKey, { entityId, agentId: "agent-1" });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const device = await call("POST", "/v1/auth/sessions", apiKey, {
      entityId,
      flow: "device",
      providers: { gmail: {} },
    });
    assert.equal(device.status, 201, JSON.stringify(device.body));
  }
  const proxied = async (entityId: string) => {
    const res = await runtime.handler(
      new Request("http://127.0.0.1/proxy/gmail/gmail/v1/users/me/messages", {
        headers: {
          "securix-api-key": apiKey,
          "securix-entity-id": entityId,
          "securix-agent-id": "agent-1",
        },
      }),
      LOOPBACK_INFO,
    );
    return { status: res.status, body: await res.json() };
  };
  const count = async (table: string, entityId: string) => {
    const { rows } = await appliance.database.client.execute({
      sql: `SELECT count(*) AS n FROM ${table} WHERE entity_id = ?`,
      args: [entityId],
    });
    return Number(rows[0].n);
  };
  const sdk = new Securix({
    baseUrl: "http://127.0.0.1",
    apiKey,
    fetch: (input, init) => runtime.handler(new Request(input, init), LOOPBACK_INFO),
  });
  return {
    oidc,
    temp,
    app,
    sdk,
    agentKey,
    call,
    proxied,
    count,
    cleanup: async () => {
      await cleanup();
      await api.shutdown();
      await oidc.close();
    },
  };
}

Deno.test("DELETE /v1/entities/{id}: revokes, deletes what names the entity, audits once; the other entity keeps all", async () => {
  const s = await scene();
  const db = s.temp.appliance.database.db;
  try {
    assert.equal((await s.proxied("user-1")).status, 200, "connected before");

    const refused = await s.call("DELETE", "/v1/entities/user-1", s.agentKey);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "SX-KEY-ROLE");
    assert.equal(
      (await getConnection(db, "con_user-1"))?.status,
      "active",
      "agent key changed nothing",
    );

    const erased = await s.call("DELETE", "/v1/entities/user-1");
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.deepEqual(erased.body, {
      entityId: "user-1",
      erased: true,
      connectionsRevoked: 1,
      providerConfirmed: 1,
      connections: 1,
      authSessions: 1,
      portalChoices: 1,
      portalSessions: 1,
      portalLinks: 1,
      mcpUrls: 1,
      approvals: 1,
      anomalies: 0,
      activityHours: 0,
      rateLimitKeys: 0,
    });
    assert.ok(s.oidc.stats.revocationCalls >= 1, "revoked at the provider");

    const after = await s.proxied("user-1");
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, "SX-NOT-CONNECTED");
    assert.equal(await vaultCredential(s.temp.appliance, "cred_con_user-1"), null);
    for (const table of ["connections", "portal_settings", "portal_sessions", "portal_links"]) {
      assert.equal(await s.count(table, "user-1"), 0, `${table} of user-1`);
    }
    for (const table of ["mcp_grants", "approvals", "auth_sessions"]) {
      assert.equal(await s.count(table, "user-1"), 0, `${table} of user-1`);
    }
    const held = await s.call("GET", `/v1/approvals/apr_a${"a".repeat(15)}`);
    assert.equal(held.status, 404);

    assert.equal((await s.proxied("user-2")).status, 200, "user-2 still connected");
    assert.equal((await listChoices(db, { appId: s.app.id, entityId: "user-2" })).length, 1);
    for (
      const table of ["portal_sessions", "portal_links", "mcp_grants", "approvals", "auth_sessions"]
    ) {
      assert.equal(await s.count(table, "user-2"), 1, `${table} of user-2`);
    }
    assert.ok(await vaultCredential(s.temp.appliance, "cred_con_user-2"));

    const records = await listRecords(db, { kinds: "entity.erased" });
    assert.equal(records.length, 1);
    assert.equal(records[0].entityId, "user-1");
    assert.equal(records[0].data.portalChoices, 1);
    assert.match(String(records[0].data.actor), /^api:/);
    const { rows } = await s.temp.appliance.database.client.execute(
      "SELECT payload FROM webhook_deliveries WHERE event_type = 'connection.revoked'",
    );
    assert.equal(rows.length, 1, "one connection.revoked webhook");
    assert.match(String(rows[0].payload), /con_user-1/);
    const notice = await s.temp.appliance.database.client.execute(
      "SELECT payload FROM webhook_deliveries WHERE event_type = 'entity.erased'",
    );
    assert.equal(notice.rows.length, 1, "one entity.erased webhook");
    const payload = JSON.parse(String(notice.rows[0].payload));
    assert.equal(payload.data.entityId, "user-1");
    assert.equal(payload.data.portalChoices, 1);
    assert.match(payload.data.by, /^api:/);

    const again = await s.call("DELETE", "/v1/entities/user-1");
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, "SX-ENTITY-NOT-FOUND");
    assert.equal((await listRecords(db, { kinds: "entity.erased" })).length, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("securix entities erase: refuses without a terminal unless --yes, then erases with the cli actor", async () => {
  const s = await scene();
  const db = s.temp.appliance.database.db;
  const cli = async (...args: string[]) => {
    const { io, out, err } = captureIo({ USER: "alice" });
    const code = await runCli(["--config", s.temp.configPath, ...args], io);
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  try {
    const unasked = await cli("entities", "erase", "demo", "user-2");
    assert.equal(unasked.code, 1);
    assert.match(unasked.err, /no terminal to ask on; pass --yes/);
    assert.equal((await getConnection(db, "con_user-2"))?.status, "active");

    const erased = await cli("entities", "erase", "demo", "user-2", "--yes", "--json");
    assert.equal(erased.code, 0, erased.err);
    assert.equal(JSON.parse(erased.out).connectionsRevoked, 1);
    assert.equal(await getConnection(db, "con_user-2"), null);
    assert.equal((await s.proxied("user-2")).body.error.code, "SX-NOT-CONNECTED");
    assert.equal((await s.proxied("user-1")).status, 200, "user-1 untouched");
    const [record] = await listRecords(db, { kinds: "entity.erased" });
    assert.equal(record.data.actor, "cli");
    assert.equal(record.data.osUser, "alice");

    const again = await cli("entities", "erase", "demo", "user-2", "--yes");
    assert.equal(again.code, 1);
    assert.match(again.err, /SX-ENTITY-NOT-FOUND/);
  } finally {
    await s.cleanup();
  }
});

Deno.test("SDK entities.erase: the counts, then SX-ENTITY-NOT-FOUND", async () => {
  const s = await scene();
  try {
    const erased = await s.sdk.entities.erase("user-2");
    assert.equal(erased.connectionsRevoked, 1);
    assert.equal(erased.portalChoices, 1);
    assert.equal((await s.proxied("user-2")).body.error.code, "SX-NOT-CONNECTED");
    await assert.rejects(
      () => s.sdk.entities.erase("user-2"),
      (e) => e instanceof SecurixApiError && e.code === "SX-ENTITY-NOT-FOUND" && e.status === 404,
    );
  } finally {
    await s.cleanup();
  }
});
