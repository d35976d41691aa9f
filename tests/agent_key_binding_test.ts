/**
 * An agent key bound to one agent (`securix keys create demo --agent agent-1`),
 * attacked on the serving runtime: agent-1, holding its own key, sends
 * mail-agent's id to step around what is scoped to agent-1. The proxy (path
 * fallback, securix-connection-id) and the gateway's token release refuse it
 * with 403 SX-AGENT-MISMATCH and audit it under agent-1; its own id, or none,
 * acts as agent-1. Unbound agent keys and backend keys still name any agent.
 */
import assert from "node:assert/strict";
import { requireApp } from "../src/apps/app_store.ts";
import { cliActor } from "../src/audit/actor.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { type RulesEnv, rulesEnv, tokenOf } from "./helpers/rules_env.ts";
import { seedConnection } from "./helpers/seed.ts";

const MESSAGES = "/proxy/gmail/gmail/v1/users/me/messages";
const GMAIL = "conn_demo_alice_gmail";
/** Bob's Gmail, by an id `newId` could make (the proxy refuses other shapes). */
const BOB_GMAIL = "con_bobgmail";

async function cli(env: RulesEnv, ...args: string[]) {
  const { io, out, err } = captureIo({ USER: "operator" });
  const code = await runCli(["--config", env.temp.configPath, ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

async function agentKey(env: RulesEnv, ...flags: string[]) {
  const made = await cli(env, "keys", "create", "demo", ...flags, "--json");
  assert.equal(made.code, 0, made.err);
  return JSON.parse(made.out) as { id: string; key: string; role: string; agentId: string | null };
}

function call(
  env: RulesEnv,
  key: string,
  agent: string | null,
  extra: Record<string, string> = {},
) {
  const headers: Record<string, string> = {
    "securix-api-key": key,
    "securix-entity-id": "alice",
    ...extra,
  };
  if (agent !== null) headers["securix-agent-id"] = agent;
  if (extra["securix-connection-id"]) delete headers["securix-entity-id"];
  return fetch(`${env.base}${MESSAGES}`, { headers });
}

async function outcome(res: Response): Promise<string> {
  const body = await res.json();
  return res.ok ? String(res.status) : `${res.status} ${body.error.code}`;
}

const AGENT1_NO_MAIL = {
  name: "agent1_no_mail",
  target: "gmail.*",
  agents: ["agent-1"],
  effect: "deny",
};

function test(
  name: string,
  fn: (env: RulesEnv) => Promise<void>,
  rules: Record<string, unknown>[] = [AGENT1_NO_MAIL],
) {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const env = await rulesEnv({ rules });
      try {
        await fn(env);
      } finally {
        await env.close();
      }
    },
  });
}

test("bound agent key: another agent's id is 403 SX-AGENT-MISMATCH, audited under the bound agent; a deny scoped to it holds", async (env) => {
  const bound = await agentKey(env, "--role", "agent", "--agent", "agent-1");
  assert.deepEqual([bound.role, bound.agentId], ["agent", "agent-1"]);
  const mark = await env.mark();

  const res = await call(env, bound.key, "mail-agent");
  assert.equal(res.headers.get("content-type")?.startsWith("application/json"), true);
  const body = await res.json();
  assert.equal(res.status, 403, JSON.stringify(body));
  assert.equal(body.error.code, "SX-AGENT-MISMATCH");
  assert.match(body.error.message, /bound to agent "agent-1".*not "mail-agent"/);
  assert.deepEqual(body.error.details, { agentId: "agent-1", sentAgentId: "mail-agent" });
  assert.equal(env.fake.seen.length, 0, "nothing reached the provider");

  // agent-1's own id, or none: agent-1, whose deny rule holds.
  assert.equal(await outcome(await call(env, bound.key, "agent-1")), "403 SX-POLICY-DENIED");
  assert.equal(await outcome(await call(env, bound.key, null)), "403 SX-POLICY-DENIED");
  // A bad id is a bad header, as before; an unknown one is still another agent's id.
  assert.equal(await outcome(await call(env, bound.key, "no spaces")), "400 SX-INVALID-INPUT");
  assert.equal(await outcome(await call(env, bound.key, "ghost")), "403 SX-AGENT-MISMATCH");

  const records = await env.audit(mark, "proxy.request");
  const app = await requireApp(env.temp.appliance.database.db, "demo");
  assert.deepEqual(
    records.map((r) => [r.appId, r.agentId, r.data.error, r.data.sentAgentId ?? null]),
    [
      [app.id, "agent-1", "SX-AGENT-MISMATCH", "mail-agent"],
      [app.id, "agent-1", "SX-POLICY-DENIED", null],
      [app.id, "agent-1", "SX-POLICY-DENIED", null],
      // The key is known: its app and bound agent, never the malformed id.
      [app.id, "agent-1", "SX-INVALID-INPUT", null],
      [app.id, "agent-1", "SX-AGENT-MISMATCH", "ghost"],
    ],
  );
  assert.equal(records[0].data.decision, "denied");
  assert.equal("sentAgentId" in records[3].data, false, "a malformed id is not copied");
});

test("bound agent key: its own id or none passes as the bound agent, by entity id and by connection id", async (env) => {
  const bound = await agentKey(env, "--agent", "mail-agent");
  assert.deepEqual(
    [bound.role, bound.agentId],
    ["agent", "mail-agent"],
    "--agent makes an agent key",
  );
  const mark = await env.mark();
  assert.equal(await outcome(await call(env, bound.key, "mail-agent")), "200");
  assert.equal(await outcome(await call(env, bound.key, null)), "200");
  const { appliance } = env.temp;
  const app = await requireApp(appliance.database.db, "demo");
  await seedConnection(appliance, {
    id: BOB_GMAIL,
    appId: app.id,
    entityId: "bob",
    provider: "gmail",
    accessToken: tokenOf("gmail"),
  });
  const byId = { "securix-connection-id": BOB_GMAIL };
  assert.equal(await outcome(await call(env, bound.key, null, byId)), "200");
  assert.equal(
    await outcome(await call(env, bound.key, "agent-1", byId)),
    "403 SX-AGENT-MISMATCH",
    "the connection-id path holds the binding too",
  );
  const records = await env.audit(mark, "proxy.request");
  assert.deepEqual(records.map((r) => [r.agentId, r.data.status]), [
    ["mail-agent", 200],
    ["mail-agent", 200],
    ["mail-agent", 200],
    ["mail-agent", 403],
  ]);
});

test("bound agent key: the gateway's token release holds the binding and audits the refusal", async (env) => {
  const { appliance } = env.temp;
  await updateApp(appliance.database, "demo", { credentialRelease: true }, {
    now: appliance.now,
    by: cliActor(() => "operator"),
  });
  env.served.runtime.applyRules({ rules: [] }, "test");
  const bound = await agentKey(env, "--agent", "agent-1");
  const release = async (agent: string | null) => {
    const headers: Record<string, string> = { "securix-api-key": bound.key };
    if (agent !== null) headers["securix-agent-id"] = agent;
    return await outcome(await fetch(`${env.base}/v1/token/${GMAIL}`, { headers }));
  };
  const mark = await env.mark();
  assert.equal(await release("mail-agent"), "403 SX-AGENT-MISMATCH");
  assert.equal(await release(null), "200");
  assert.equal(await release("agent-1"), "200");
  assert.equal(await release(""), "200", "an empty header is left out, as on the proxy");
  const backend = await fetch(`${env.base}/v1/token/${GMAIL}`, {
    headers: { "securix-api-key": env.apiKey(), "securix-agent-id": "" },
  });
  assert.equal(await outcome(backend), "200", "a backend key's empty header: no agent");
  const denied = await env.audit(mark, "connection.credential_release_denied");
  // The record's own agentId column too, so filtering the trail by agent finds them.
  assert.deepEqual(
    denied.map((r) => [r.agentId, r.data.agentId, r.data.code, r.data.refusedBy]),
    [["agent-1", "agent-1", "SX-AGENT-MISMATCH", { sentAgentId: "mail-agent" }]],
  );
  const released = await env.audit(mark, "connection.credential_released");
  assert.deepEqual(released.map((r) => [r.agentId, r.data.agentId]), [
    ["agent-1", "agent-1"],
    ["agent-1", "agent-1"],
    ["agent-1", "agent-1"],
    [null, null],
  ]);
});

test("bound agent key: on the gateway the mismatch is refused and audited before the connection id is looked at", async (env) => {
  const bound = await agentKey(env, "--agent", "agent-1");
  const app = await requireApp(env.temp.appliance.database.db, "demo");
  const mark = await env.mark();
  const ask = async (method: string, path: string) =>
    await outcome(
      await fetch(`${env.base}${path}`, {
        method,
        headers: { "securix-api-key": bound.key, "securix-agent-id": "mail-agent" },
      }),
    );
  // Release is off for demo: the mismatch still comes first, for a known id and an unknown one.
  assert.equal(await ask("GET", "/v1/token/con_doesnotexist"), "403 SX-AGENT-MISMATCH");
  assert.equal(await ask("POST", "/v1/refresh/con_doesnotexist"), "403 SX-AGENT-MISMATCH");
  assert.equal(await ask("GET", `/v1/token/${GMAIL}`), "403 SX-AGENT-MISMATCH");
  const denied = await env.audit(mark, "connection.credential_release_denied");
  assert.deepEqual(
    denied.map((
      r,
    ) => [r.appId, r.agentId, r.entityId, r.provider, r.data.connectionId, r.data.code]),
    [
      [app.id, "agent-1", null, null, null, "SX-AGENT-MISMATCH"],
      [app.id, "agent-1", null, null, null, "SX-AGENT-MISMATCH"],
      [app.id, "agent-1", "alice", "gmail", GMAIL, "SX-AGENT-MISMATCH"],
    ],
  );
  assert.deepEqual(denied.map((r) => r.data.refusedBy), [
    { sentAgentId: "mail-agent" },
    { sentAgentId: "mail-agent" },
    { sentAgentId: "mail-agent" },
  ]);
});

test("unbound agent keys and backend keys still name any registered agent; keys list hints at unbound agent keys", async (env) => {
  const unbound = await agentKey(env, "--role", "agent");
  assert.equal(unbound.agentId, null);
  assert.equal(await outcome(await call(env, unbound.key, "mail-agent")), "200");
  assert.equal(await outcome(await call(env, unbound.key, "agent-1")), "403 SX-POLICY-DENIED");
  assert.equal(await outcome(await call(env, env.apiKey(), "mail-agent")), "200");
  assert.equal(
    await outcome(await call(env, unbound.key, null)),
    "400 SX-MISSING-HEADER",
    "an unbound key must still say which agent calls",
  );

  const listed = await cli(env, "keys", "list", "demo");
  assert.match(listed.err, /Hint: an agent key with no agentId can name any agent of demo/);
  const bound = await agentKey(env, "--agent", "agent-1");
  const rows = JSON.parse((await cli(env, "keys", "list", "demo", "--json")).out) as {
    id: string;
    agentId: string | null;
  }[];
  assert.equal(rows.find((r) => r.id === bound.id)?.agentId, "agent-1");
  assert.equal(rows.find((r) => r.id === unbound.id)?.agentId, null);
  const created = (await env.audit(0, "admin.key.created")).find((r) => r.data.keyId === bound.id);
  assert.deepEqual([created?.agentId, created?.data.agentId], ["agent-1", "agent-1"]);
  await cli(env, "keys", "revoke", unbound.id);
  assert.doesNotMatch((await cli(env, "keys", "list", "demo")).err, /Hint/);
});

test("binding: only agent keys, only registered agents; removing the agent revokes its keys", async (env) => {
  const backend = await cli(
    env,
    "keys",
    "create",
    "demo",
    "--role",
    "backend",
    "--agent",
    "agent-1",
  );
  assert.equal(backend.code, 1);
  assert.match(backend.err, /SX-INVALID-INPUT|Only an agent key can be bound/);
  const ghost = await cli(env, "keys", "create", "demo", "--agent", "ghost");
  assert.equal(ghost.code, 1);
  assert.match(ghost.err, /No agent "ghost"/);

  const bound = await agentKey(env, "--agent", "mail-agent");
  assert.equal(await outcome(await call(env, bound.key, null)), "200");
  // Through the serving runtime, so its caches drop at once (the CLI's process would take the TTL).
  const removed = await fetch(`${env.base}/v1/agents/mail-agent`, {
    method: "DELETE",
    headers: { "securix-api-key": env.apiKey() },
  });
  assert.equal(removed.status, 204, await removed.text());
  assert.equal(await outcome(await call(env, bound.key, null)), "401 SX-API-KEY-INVALID");
  // Registered again: the old key stays revoked.
  assert.equal((await cli(env, "agents", "add", "demo", "mail-agent")).code, 0);
  assert.equal(await outcome(await call(env, bound.key, null)), "401 SX-API-KEY-INVALID");
  const revoked = (await env.audit(0, "admin.key.revoked")).map((r) => r.data);
  assert.deepEqual(revoked.map((r) => [r.keyId, r.reason]), [[bound.id, "agent_removed"]]);
});

test(
  "bound agent key: reads its own agent's held calls only; another agent's answers as an unknown id",
  async (env) => {
    const mailKey = await agentKey(env, "--agent", "mail-agent");
    const agent1Key = await agentKey(env, "--agent", "agent-1");
    const unbound = await agentKey(env, "--role", "agent");
    const held = await fetch(`${env.base}${MESSAGES}/send`, {
      method: "POST",
      headers: {
        "securix-api-key": mailKey.key,
        "securix-entity-id": "alice",
        "content-type": "application/json",
      },
      body: JSON.stringify({ raw: "VG86IGJvYkBhY21lLmNvbQ0KDQpIaQ0K" }),
    });
    const heldBody = await held.json();
    assert.equal(heldBody.error?.code, "SX-APPROVAL-REQUIRED", JSON.stringify(heldBody));
    const id: string = heldBody.error.details.approvalId;
    const read = async (key: string, approvalId = id) => {
      const res = await fetch(`${env.base}/v1/approvals/${approvalId}`, {
        headers: { "securix-api-key": key },
      });
      const body = await res.json();
      // Each answer has its own request id; everything else must be the same.
      if (body.error) delete body.error.requestId;
      return { status: res.status, body };
    };
    const own = await read(mailKey.key);
    assert.deepEqual([own.status, own.body.agentId], [200, "mail-agent"]);
    const foreign = await read(agent1Key.key);
    const unknown = await read(agent1Key.key, "apr_aaaaaaaaaaaaaaaa");
    assert.equal(foreign.status, 404, "agent-1's key must not read mail-agent's held call");
    assert.deepEqual(foreign, unknown, "the same answer as an unknown id: no existence oracle");
    assert.equal(foreign.body.error.code, "SX-APPROVAL-NOT-FOUND");
    // Keys not bound to an agent read every held call of the app, as before.
    assert.equal((await read(unbound.key)).status, 200);
    assert.equal((await read(env.apiKey())).status, 200);
  },
  [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
);
