/**
 * Key roles, attacked on the serving runtime. An agent holds an agent key
 * (`securix keys create demo --role agent`): it can call providers through
 * the proxy (path fallback, Host routing, securix-connection-id) and read its
 * held approval, and every other /v1 call — minting portal or MCP links,
 * deciding approvals (even with API approvals on), clearing anomaly blocks,
 * changing the app, adding webhooks, revoking connections — answers 403
 * SX-KEY-ROLE and changes nothing, whatever shape its path takes. A backend
 * key keeps doing all of it.
 */
import assert from "node:assert/strict";
import { requireApp } from "../src/apps/app_store.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { type RulesEnv, rulesEnv, toBase64Url, tokenOf } from "./helpers/rules_env.ts";
import { seedConnection } from "./helpers/seed.ts";

const RAW = toBase64Url("To: bob@acme.com\r\nSubject: Planning\r\n\r\nSee you Thursday.\r\n");
const BOB_GMAIL = "con_bobgmail";

async function cli(env: RulesEnv, ...args: string[]) {
  const { io, out, err } = captureIo({ USER: "operator" });
  const code = await runCli(["--config", env.temp.configPath, ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

interface Env {
  env: RulesEnv;
  agentKey: string;
  agentKeyId: string;
  backendKey: string;
  /** A held send's approval id. */
  approvalId: string;
  /** An active mass-delete block. */
  anomalyId: string;
}

async function withEnv(fn: (e: Env) => Promise<void>): Promise<void> {
  const env = await rulesEnv({
    rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
    raw: { security: { share_ms: 200, mass_delete: { threshold: 1, window: "60s" } } },
    entities: ["alice"],
  });
  try {
    const { appliance } = env.temp;
    const app = await requireApp(appliance.database.db, "demo");
    await seedConnection(appliance, {
      id: BOB_GMAIL,
      appId: app.id,
      entityId: "bob",
      provider: "gmail",
      accessToken: tokenOf("gmail"),
    });
    const created = await cli(env, "keys", "create", "demo", "--role", "agent", "--json");
    assert.equal(created.code, 0, created.err);
    const { key: agentKey, id: agentKeyId, role } = JSON.parse(created.out);
    assert.equal(role, "agent");
    // The app turns API approvals on: an agent key must still be refused.
    const on = await cli(env, "apps", "update", "demo", "--allow-api-approvals");
    assert.equal(on.code, 0, on.err);

    const held = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
      method: "POST",
      headers: {
        ...env.headers(),
        "securix-api-key": agentKey,
        "content-type": "application/json",
      },
      body: JSON.stringify({ raw: RAW }),
    });
    const heldBody = await held.json();
    assert.equal(heldBody.error.code, "SX-APPROVAL-REQUIRED", "the agent key reaches the rules");

    // Two deletes through the proxy with the agent key: the second trips the block.
    const messages = env.fake.state.gmail.messages;
    const template = messages.get(MESSAGE_IDS.PLANNING)!;
    for (const id of ["19a0000000000001", "19a0000000000002"]) {
      messages.set(id, { ...template, id, threadId: id });
    }
    let anomalyId = "";
    for (const id of ["19a0000000000001", "19a0000000000002"]) {
      const res = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/${id}`, {
        method: "DELETE",
        headers: { ...env.headers(), "securix-api-key": agentKey },
      });
      const text = await res.text();
      if (res.status === 403) anomalyId = JSON.parse(text).error.details.anomalyId;
    }
    assert.match(anomalyId, /^anom_/, "the agent tripped a mass-delete block");
    await fn({
      env,
      agentKey,
      agentKeyId,
      backendKey: env.apiKey(),
      approvalId: heldBody.error.details.approvalId,
      anomalyId,
    });
  } finally {
    await env.close();
  }
}

function call(env: RulesEnv, key: string, method: string, path: string, body?: unknown) {
  return fetch(`${env.base}${path}`, {
    method,
    headers: {
      "securix-api-key": key,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function assertKeyRole(res: Response, what: string): Promise<void> {
  const body = await res.json();
  assert.equal(res.status, 403, `${what}: ${JSON.stringify(body)}`);
  assert.equal(body.error.code, "SX-KEY-ROLE", what);
  assert.match(
    body.error.message,
    /agent key: it can call provider APIs through the proxy.*backend key/s,
    what,
  );
  assert.match(body.error.llmError, /Do not retry/, what);
}

/** What the agent must not change, read straight from the database. */
async function state(e: Env) {
  const db = e.env.temp.appliance.database.client;
  const one = async (sql: string, args: (string | number)[] = []) =>
    (await db.execute({ sql, args })).rows.map((r) => JSON.stringify(r)).join(";");
  return {
    portalLinks: await one("SELECT count(*) AS n FROM portal_links"),
    mcpGrants: await one("SELECT count(*) AS n FROM mcp_grants"),
    approval: await one("SELECT status FROM approvals WHERE id = ?", [e.approvalId]),
    anomaly: await one("SELECT status FROM anomalies WHERE id = ?", [e.anomalyId]),
    app: await one("SELECT name, origins, approvals_via_api FROM apps"),
    keys: await one("SELECT count(*) AS n FROM api_keys"),
    agents: await one("SELECT count(*) AS n FROM agents"),
    webhooks: await one("SELECT count(*) AS n FROM webhook_endpoints"),
    connections: await one("SELECT id, status FROM connections ORDER BY id"),
    sessions: await one("SELECT count(*) AS n FROM auth_sessions"),
  };
}

/** Every state-changing or link-minting /v1 call, as an app's backend would make it. */
function forbiddenCalls(e: Env): [string, string, unknown?][] {
  return [
    ["POST", "/v1/portal/urls", { entityId: "alice" }],
    ["POST", "/v1/mcp/urls", { entityId: "alice", agentId: "agent-1", providers: ["gmail"] }],
    ["POST", `/v1/approvals/${e.approvalId}`, { decision: "approve" }],
    ["POST", `/v1/anomalies/${e.anomalyId}/clear`],
    ["PATCH", "/v1/app", { name: "hijacked" }],
    ["PATCH", "/v1/app", { approvalsViaApi: false }],
    ["DELETE", "/v1/app"],
    ["POST", "/v1/keys", { role: "backend" }],
    ["POST", "/v1/agents", { agentId: "rogue" }],
    ["DELETE", "/v1/agents/agent-1"],
    ["POST", "/v1/webhooks", { url: "https://hooks.example.test/x", events: ["*"] }],
    ["DELETE", `/v1/connections/${BOB_GMAIL}`],
    ["POST", `/v1/connections/${BOB_GMAIL}/refresh`],
    ["POST", "/v1/auth/sessions", {
      entityId: "alice",
      flow: "device",
      providers: { gmail: { scopes: [] } },
    }],
    // Listings and the app's settings are the backend's too.
    ["GET", "/v1/approvals"],
    ["GET", "/v1/anomalies"],
    ["GET", "/v1/app"],
    ["GET", "/v1/mcp/urls"],
    ["GET", "/v1/webhooks"],
    ["GET", "/v1/connections"],
    ["GET", "/v1/rules"],
    ["GET", "/v1/nothing-here"],
  ];
}

Deno.test({
  name:
    "key roles: an agent key calls the proxy (path, Host, connection id), reads its held approval and uses the connection-id gateway",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withEnv(async (e) => {
      const { env, agentKey } = e;
      const agent = { ...env.headers(), "securix-api-key": agentKey };
      const listed = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages`, {
        headers: agent,
      });
      assert.equal(listed.status, 200, await listed.text());
      const byId = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages`, {
        headers: {
          "securix-api-key": agentKey,
          "securix-agent-id": "agent-1",
          "securix-connection-id": BOB_GMAIL,
        },
      });
      assert.equal(byId.status, 200, await byId.text());
      const hosted = await rawRequest(env.port, {
        target: "/gmail/v1/users/me/messages",
        host: "gmail.api.localhost",
        headers: Object.entries(agent),
      });
      assert.ok(hosted);
      assert.equal(statusOf(hosted), 200, hosted.body);

      const polled = await call(env, agentKey, "GET", `/v1/approvals/${e.approvalId}`);
      assert.equal(polled.status, 200);
      assert.equal((await polled.json()).status, "pending");
      // The SDK bridge's lookups, made from the agent's process.
      const one = await call(env, agentKey, "GET", `/v1/connections/${BOB_GMAIL}`);
      assert.equal(one.status, 200);
      assert.equal((await one.json()).provider, "gmail");
      const mine = await call(env, agentKey, "GET", "/v1/connections?entityId=bob&provider=gmail");
      assert.equal(mine.status, 200);
      assert.deepEqual((await mine.json()).connections.map((c: { id: string }) => c.id), [
        BOB_GMAIL,
      ]);
      // The connection-id gateway is the agent's own interface (Nexus's agent flow).
      const checked = await call(env, agentKey, "GET", `/v1/check-connection/${BOB_GMAIL}`);
      assert.equal(checked.status, 200, await checked.clone().text());
      assert.equal((await checked.json()).status, "active");
      const providers = await call(env, agentKey, "GET", "/v1/providers");
      assert.equal(providers.status, 200);
      await providers.body?.cancel();
      // Release stays behind the app's switch (off here) for every key.
      const token = await call(env, agentKey, "GET", `/v1/token/${BOB_GMAIL}`);
      assert.equal((await token.json()).error.code, "SX-RELEASE-DISABLED");
      // The backend registers where users come back to; the agent asks a user to connect.
      const origin = await call(env, e.backendKey, "PATCH", "/v1/app", {
        addOrigins: ["https://app.example"],
      });
      assert.equal(origin.status, 200);
      await origin.body?.cancel();
      const asked = await call(env, agentKey, "POST", "/v1/request-connection", {
        user_id: "carol",
        provider_name: "gmail",
        scopes: [],
        return_url: "https://app.example/done",
      });
      const link = await asked.json();
      assert.equal(asked.status, 201, JSON.stringify(link));
      assert.match(link.authUrl ?? link.auth_url ?? "", /^http/);
    });
  },
});

Deno.test({
  name:
    "key roles: an agent key is refused SX-KEY-ROLE on every other /v1 call and changes nothing; a backend key still can",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withEnv(async (e) => {
      const { env, agentKey, backendKey } = e;
      const before = await state(e);
      const mark = await env.mark();
      for (const [method, path, body] of forbiddenCalls(e)) {
        await assertKeyRole(await call(env, agentKey, method, path, body), `${method} ${path}`);
      }
      assert.deepEqual(await state(e), before, "nothing changed");
      const written = (await env.audit(mark)).filter((r) =>
        r.kind.startsWith("admin.") ||
        r.kind.startsWith("portal.") || r.kind.startsWith("approval") ||
        r.kind.startsWith("security.anomaly.cleared")
      );
      assert.deepEqual(written.map((r) => r.kind), []);

      // The backend key does what the agent key could not (approvals via API are on).
      const portal = await call(env, backendKey, "POST", "/v1/portal/urls", { entityId: "alice" });
      assert.equal(portal.status, 201);
      const mcp = await call(env, backendKey, "POST", "/v1/mcp/urls", {
        entityId: "alice",
        agentId: "agent-1",
        providers: ["gmail"],
      });
      assert.equal(mcp.status, 201);
      const decided = await call(env, backendKey, "POST", `/v1/approvals/${e.approvalId}`, {
        decision: "deny",
      });
      assert.equal(decided.status, 200, await decided.clone().text());
      const cleared = await call(env, backendKey, "POST", `/v1/anomalies/${e.anomalyId}/clear`);
      assert.equal(cleared.status, 200, await cleared.clone().text());
      const listed = await call(env, backendKey, "GET", "/v1/connections");
      assert.equal(listed.status, 200);
      const revoked = await call(env, backendKey, "DELETE", `/v1/connections/${BOB_GMAIL}`);
      assert.ok(revoked.status < 300, `revoke: ${revoked.status}`);
      await revoked.body?.cancel();
      const after = await state(e);
      assert.notEqual(after.portalLinks, before.portalLinks);
      assert.notEqual(after.mcpGrants, before.mcpGrants);
      assert.notEqual(after.approval, before.approval);
      assert.notEqual(after.anomaly, before.anomaly);
      assert.notEqual(after.connections, before.connections);
    });
  },
});

Deno.test({
  name:
    "key roles: path tricks (trailing slash, case, //, %2F, encoded letters, dot segments) never let an agent key through",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withEnv(async (e) => {
      const { env, agentKey, approvalId } = e;
      const before = await state(e);
      const tricks: [string, string][] = [
        ["POST", "/v1/portal/urls/"],
        ["POST", "/V1/portal/urls"],
        ["POST", "/v1/PORTAL/urls"],
        ["POST", "//v1/portal/urls"],
        ["POST", "/v1//portal/urls"],
        ["POST", "/v1/portal%2Furls"],
        ["POST", "/v1%2Fportal/urls"],
        ["POST", "/v1/%70ortal/urls"],
        ["POST", "/v1/./portal/urls"],
        ["POST", `/v1/approvals/${approvalId}/../../portal/urls`],
        ["POST", "/v1/portal/urls?x=/v1/approvals/apr_x"],
        ["POST", "/v1/portal/urls#/v1/approvals/apr_x"],
        ["POST", `/v1/approvals/${approvalId}/`],
        ["POST", `/v1/%61pprovals/${approvalId}`],
        ["POST", `/v1/approvals/${approvalId}%2F`],
        ["GET", `/v1/approvals/${approvalId}/../../app`],
        ["GET", `/v1/approvals/..%2F..%2Fapp`],
        ["POST", `/v1/anomalies/${e.anomalyId}/clear/`],
        ["POST", `/v1/anomalies/${e.anomalyId}%2Fclear`],
        ["POST", "/proxy/../v1/portal/urls"],
      ];
      const send = (key: string, method: string, target: string) =>
        rawRequest(env.port, {
          method,
          target,
          headers: [["securix-api-key", key], ["content-type", "application/json"]],
          body: target.includes("portal")
            ? JSON.stringify({ entityId: "alice" })
            : JSON.stringify({ decision: "approve" }),
        });
      const routedNowhere: [string, string][] = [];
      for (const [method, target] of tricks) {
        const res = await send(agentKey, method, target);
        assert.ok(res, `${method} ${target}: an answer`);
        const code = JSON.parse(res.body).error?.code;
        if (statusOf(res) === 403 && code === "SX-KEY-ROLE") continue;
        // Anything else must be a path that reaches no handler at all (checked below).
        assert.ok([400, 404].includes(statusOf(res)), `${method} ${target}: ${res.body}`);
        routedNowhere.push([method, target]);
      }
      assert.deepEqual(await state(e), before, "no trick changed anything");
      // …as a backend key confirms: the same requests find no handler either.
      for (const [method, target] of routedNowhere) {
        const res = await send(e.backendKey, method, target);
        assert.ok(res && [400, 404].includes(statusOf(res)), `${method} ${target}: ${res?.body}`);
      }
      assert.deepEqual(await state(e), before, "the tricks that got no role check reach nothing");
    });
  },
});

Deno.test({
  name: "key roles: keys list shows the role; creation records it; a bad role is refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withEnv(async (e) => {
      const { env, agentKeyId } = e;
      const listed = await cli(env, "keys", "list", "demo", "--json");
      assert.equal(listed.code, 0, listed.err);
      const rows = JSON.parse(listed.out) as { id: string; role: string }[];
      assert.deepEqual(
        rows.map((r) => r.role).sort(),
        ["agent", "backend"],
      );
      assert.equal(rows.find((r) => r.id === agentKeyId)?.role, "agent");
      const table = await cli(env, "keys", "list", "demo");
      assert.match(table.out, /ROLE|role/);
      const created = (await env.audit(0, "admin.key.created")).find((r) =>
        r.data.keyId === agentKeyId
      );
      assert.equal(created?.data.role, "agent");
      const bad = await cli(env, "keys", "create", "demo", "--role", "admin");
      assert.notEqual(bad.code, 0);
      const plain = await cli(env, "keys", "create", "demo", "--json");
      assert.equal(JSON.parse(plain.out).role, "backend", "backend is the default");
    });
  },
});
