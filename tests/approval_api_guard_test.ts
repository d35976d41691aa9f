/**
 * The agent whose risky call is held holds the app's API key too, so the key
 * alone must not approve it. Attacks on the serving runtime: an agent with the
 * key is refused by default (SX-APPROVAL-API-DISABLED), the key cannot switch
 * itself on, and once an operator allows API approvals the agent that made
 * the call is still refused (SX-APPROVAL-SELF) while another decider is not.
 * Switching off takes effect at once, cached key or not.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { type RulesEnv, rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

const RAW = toBase64Url("To: bob@acme.com\r\nSubject: Planning\r\n\r\nSee you Thursday.\r\n");

async function guardEnv(): Promise<RulesEnv> {
  return await rulesEnv({
    rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
  });
}

/** The agent's own send through the proxy (agent-1 unless told). */
function send(env: RulesEnv, extra: Record<string, string> = {}, agent?: string, raw = RAW) {
  return fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
    method: "POST",
    headers: { ...env.headers({ agent }), "content-type": "application/json", ...extra },
    body: JSON.stringify({ raw }),
  });
}

async function hold(env: RulesEnv, raw = RAW): Promise<string> {
  const res = await send(env, {}, undefined, raw);
  assert.equal(res.status, 403);
  const body = await res.json();
  assert.equal(body.error.code, "SX-APPROVAL-REQUIRED");
  return body.error.details.approvalId;
}

/** What the agent can send to the API: the app key and, if it likes, its own agent id. */
function decide(env: RulesEnv, id: string, decision: string, agent?: string) {
  return fetch(`${env.base}/v1/approvals/${id}`, {
    method: "POST",
    headers: {
      "securix-api-key": env.apiKey(),
      "content-type": "application/json",
      ...(agent !== undefined ? { "securix-agent-id": agent } : {}),
    },
    body: JSON.stringify({ decision }),
  });
}

async function status(env: RulesEnv, id: string): Promise<string> {
  const res = await fetch(`${env.base}/v1/approvals/${id}`, {
    headers: { "securix-api-key": env.apiKey() },
  });
  assert.equal(res.status, 200, "reading approvals with the key stays allowed");
  return (await res.json()).status;
}

async function cli(env: RulesEnv, ...args: string[]) {
  const { io, out, err } = captureIo({ USER: "operator" });
  const code = await runCli(["--config", env.temp.configPath, ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test({
  name:
    "approval guard: by default an agent holding the app key cannot decide its held call, nor switch API approvals on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await guardEnv();
    try {
      const mark = await env.mark();
      const id = await hold(env);
      for (const agent of ["agent-1", "mail-agent", undefined]) {
        for (const decision of ["approve", "deny"]) {
          const res = await decide(env, id, decision, agent);
          assert.equal(res.status, 403);
          const body = await res.json();
          assert.equal(body.error.code, "SX-APPROVAL-API-DISABLED");
          // The developer is told where to decide instead, and how to turn it on.
          assert.match(body.error.message, /signed link/);
          assert.match(body.error.message, /admin console/);
          assert.match(body.error.message, /Trust Portal/);
          assert.match(body.error.message, /securix approvals approve/);
          assert.match(body.error.message, /securix apps update demo --allow-api-approvals/);
        }
      }
      assert.equal(await status(env, id), "pending");
      const listed = await fetch(`${env.base}/v1/approvals?status=pending`, {
        headers: { "securix-api-key": env.apiKey() },
      });
      assert.equal(listed.status, 200);
      assert.deepEqual((await listed.json()).approvals.map((a: { id: string }) => a.id), [id]);

      // The key cannot grant itself the power.
      const patch = await fetch(`${env.base}/v1/app`, {
        method: "PATCH",
        headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
        body: JSON.stringify({ approvalsViaApi: true }),
      });
      assert.equal(patch.status, 400);
      assert.match((await patch.json()).error.message, /--allow-api-approvals/);
      const after = await decide(env, id, "approve");
      assert.equal(after.status, 403);
      assert.equal((await after.json()).error.code, "SX-APPROVAL-API-DISABLED");

      const retry = await send(env, { "securix-approval-id": id });
      assert.equal((await retry.json()).error.code, "SX-APPROVAL-PENDING");
      assert.equal(env.fake.seenBy("gmail").length, 0, "nothing reached Gmail");
      assert.equal((await env.audit(mark, "approval.decided")).length, 0);

      // The operator's paths still decide it with the switch off: here the CLI.
      const approved = await cli(env, "approvals", "approve", id);
      assert.equal(approved.code, 0, approved.err);
      const ok = await send(env, { "securix-approval-id": id });
      assert.equal(ok.status, 200);
      assert.equal(env.fake.state.gmail.sent.length, 1);
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "approval guard: switched on by the operator (audited), the key decides, but never from the agent that made the call; off again at once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await guardEnv();
    try {
      const mark = await env.mark();
      // The key is cached by the server before the switch changes in another process (the CLI).
      const id = await hold(env);
      assert.equal((await decide(env, id, "approve")).status, 403);

      const on = await cli(env, "apps", "update", "demo", "--allow-api-approvals");
      assert.equal(on.code, 0, on.err);
      assert.match(on.out, /API approvals: allowed/);
      const shown = await cli(env, "apps", "show", "demo", "--json");
      assert.equal(JSON.parse(shown.out).approvalsViaApi, true);

      for (const decision of ["approve", "deny"]) {
        const self = await decide(env, id, decision, "agent-1");
        assert.equal(self.status, 403);
        const body = await self.json();
        assert.equal(body.error.code, "SX-APPROVAL-SELF");
        assert.equal(body.error.details.approvalId, id);
      }
      assert.equal(await status(env, id), "pending");
      assert.equal((await env.audit(mark, "approval.decided")).length, 0);

      const ok = await decide(env, id, "approve", "mail-agent");
      assert.equal(ok.status, 200);
      const decided = await ok.json();
      assert.equal(decided.status, "approved");
      assert.match(decided.decidedBy, /^api:key_/);
      const again = await decide(env, id, "deny");
      assert.equal(again.status, 409);
      assert.equal((await again.json()).error.code, "SX-APPROVAL-CLOSED");
      assert.equal((await send(env, { "securix-approval-id": id })).status, 200);
      assert.equal(env.fake.state.gmail.sent.length, 1);

      // Without an agent id the key decides too (the app's own backend).
      const second = await hold(env);
      const denied = await decide(env, second, "deny");
      assert.equal(denied.status, 200);
      assert.equal((await denied.json()).status, "denied");

      // Off again from the CLI: refused at once, although the server still caches the key.
      // (Another message: the denied one would be denied again, not held.)
      const third = await hold(env, toBase64Url("To: bob@acme.com\r\nSubject: Other\r\n\r\n"));
      const off = await cli(env, "apps", "update", "demo", "--no-allow-api-approvals");
      assert.equal(off.code, 0, off.err);
      assert.match(off.out, /API approvals: off/);
      const refused = await decide(env, third, "approve", "mail-agent");
      assert.equal(refused.status, 403);
      assert.equal((await refused.json()).error.code, "SX-APPROVAL-API-DISABLED");
      assert.equal(await status(env, third), "pending");

      const updates = await env.audit(mark, "admin.app.updated");
      assert.deepEqual(updates.map((r) => r.data.approvalsViaApi), [true, false]);
      assert.equal(updates[0].data.actor, "cli");
      assert.equal(updates[0].data.osUser, "operator");
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name: "approval guard: the key may switch API approvals off (audited with the key), never on",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await guardEnv();
    try {
      const mark = await env.mark();
      assert.equal((await cli(env, "apps", "update", "demo", "--allow-api-approvals")).code, 0);
      const patch = (body: unknown) =>
        fetch(`${env.base}/v1/app`, {
          method: "PATCH",
          headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const off = await patch({ approvalsViaApi: false });
      assert.equal(off.status, 200);
      assert.equal((await off.json()).approvalsViaApi, false);
      const id = await hold(env);
      assert.equal(
        (await (await decide(env, id, "approve")).json()).error.code,
        "SX-APPROVAL-API-DISABLED",
      );
      assert.equal((await patch({ approvalsViaApi: true })).status, 400);
      const got = await fetch(`${env.base}/v1/app`, {
        headers: { "securix-api-key": env.apiKey() },
      });
      assert.equal((await got.json()).approvalsViaApi, false);
      const updates = await env.audit(mark, "admin.app.updated");
      assert.deepEqual(updates.map((r) => r.data.approvalsViaApi), [true, false]);
      assert.match(String(updates[1].data.actor), /^api:key_/);
    } finally {
      await env.close();
    }
  },
});
