/**
 * A user's Trust Portal choices, attacked by the agent they restrict. The
 * user switches a virtual scope off ("Send email for you") or hides a Gmail
 * label in the portal; the agent then tries the calls that carry the same
 * power in another shape: a Google batch request (one POST carrying any
 * number of calls, among them messages.send), and — for an app the operator
 * allowed credential release — taking the raw token, with which no rule or
 * choice can be applied any more. Each must be refused as the plain call is.
 */
import assert from "node:assert/strict";
import { requireApp } from "../src/apps/app_store.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { cliActor } from "../src/audit/actor.ts";
import { setChoice } from "../src/portal/portal_choice_store.ts";
import { startPortal } from "./helpers/portal_start.ts";
import { envelope, type RulesEnv, rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

const RAW = toBase64Url("To: bob@acme.com\r\nSubject: Hi\r\n\r\nHello\r\n");
const SCOPES = {
  send_email: {
    description: "Send email for you",
    operations: ["gmail.users.messages.send", "gmail.users.drafts.send"],
  },
};

/** Opens alice's portal the way her browser would, and posts one of its forms. */
async function portalPost(env: RulesEnv, path: string, form: Record<string, string>) {
  const minted = await fetch(`${env.base}/v1/portal/urls`, {
    method: "POST",
    headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
    body: JSON.stringify({ entityId: "alice" }),
  });
  const { url } = await minted.json();
  assert.equal(minted.status, 201, url);
  const start = new URL(url);
  const { cookie } = await startPortal(`${env.base}${start.pathname}${start.search}`);
  const home = await (await fetch(`${env.base}/portal`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(home)?.[1];
  assert.ok(csrf, "the portal page carries a CSRF token");
  const posted = await fetch(`${env.base}${path}`, {
    method: "POST",
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...form, csrf }),
    redirect: "manual",
  });
  await posted.body?.cancel();
  assert.equal(posted.status, 303, `${path}: ${posted.status}`);
}

/** What a refused release says, and what its audit record keeps. */
async function releaseRefusal(res: Response) {
  const text = await res.text();
  assert.equal(res.status, 403, text);
  assert.equal(text.includes("access_token"), false, text);
  const error = JSON.parse(text).error;
  // Written for a release, not for the calls the rule refuses.
  assert.match(
    error.message,
    /^Credential release refused: .*a released token would get around it$/,
  );
  assert.match(error.llmError, /cannot leave the appliance/);
  assert.match(error.llmError, /through the appliance's proxy instead/);
  return error as {
    code: string;
    message: string;
    llmError: string;
    details: Record<string, unknown>;
  };
}

/** A Gmail batch request carrying one messages.send. */
function batchSend(env: RulesEnv): Promise<Response> {
  const boundary = "batch_x";
  const part = [
    `--${boundary}`,
    "Content-Type: application/http",
    "",
    "POST /gmail/v1/users/me/messages/send HTTP/1.1",
    "Content-Type: application/json",
    "",
    JSON.stringify({ raw: RAW }),
    `--${boundary}--`,
    "",
  ].join("\r\n");
  return fetch(`${env.proxy("gmail")}/batch/gmail/v1`, {
    method: "POST",
    headers: { ...env.headers(), "content-type": `multipart/mixed; boundary=${boundary}` },
    body: part,
  });
}

Deno.test({
  name:
    "portal choices: a scope the user switched off is not reached through a Gmail batch request",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({ scopes: SCOPES });
    try {
      await portalPost(env, "/portal/scopes", { scope: "send_email", state: "off" });
      const plain = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": "application/json" },
        body: JSON.stringify({ raw: RAW }),
      });
      assert.equal((await envelope(plain)).code, "SX-SCOPE-DISABLED", "control: the plain send");
      const before = env.fake.state.gmail.sent.length;
      const batched = await batchSend(env);
      const text = await batched.text();
      assert.equal(batched.status, 403, text);
      assert.equal(JSON.parse(text).error.code, "SX-SCOPE-DISABLED", text);
      assert.equal(env.fake.state.gmail.sent.length, before, "nothing was sent");
    } finally {
      await env.close();
    }
  },
});

/**
 * The release once the serving process has read choices made elsewhere (it
 * re-reads them every second): polled, bounded, rather than a fixed sleep.
 */
async function tokenOnceStatus(token: () => Promise<Response>, status: number) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const res = await token();
    if (res.status === status || Date.now() > deadline) return res;
    await res.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

Deno.test({
  name:
    "portal choices: with credential release on, a user's scope switched off or label hidden refuses the release",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({ scopes: SCOPES });
    try {
      const { appliance } = env.temp;
      await updateApp(appliance.database, "demo", { credentialRelease: true }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      const app = await requireApp(appliance.database.db, "demo");
      const token = () =>
        fetch(`${env.base}/v1/token/conn_demo_alice_gmail`, {
          headers: { "securix-api-key": env.apiKey(), "securix-agent-id": "agent-1" },
        });
      const control = await token();
      assert.equal(control.status, 200, "control: released while the user chose nothing");
      await control.body?.cancel();

      await portalPost(env, "/portal/scopes", { scope: "send_email", state: "off" });
      const afterScope = await releaseRefusal(await token());
      assert.equal(afterScope.code, "SX-SCOPE-DISABLED");
      assert.match(
        afterScope.message,
        /the user switched off the scope "send_email" in the Trust Portal/,
      );
      assert.deepEqual(afterScope.details, {
        scope: "send_email",
        effect: "scope_disabled",
        reason: "release_bypasses_rule",
        source: "portal",
      });
      const denials = await env.audit(0, "connection.credential_release_denied");
      assert.equal(denials.length, 1);
      assert.deepEqual(denials[0].data.refusedBy, afterScope.details, "the audit names the scope");
      await portalPost(env, "/portal/scopes", { scope: "send_email", state: "on" });
      const again = await token();
      assert.equal(again.status, 200, "switched back on: released again");
      await again.body?.cancel();

      // A hidden label: the raw token would read it.
      await setChoice(
        appliance.database.db,
        {
          appId: app.id,
          entityId: "alice",
          kind: "hide_label",
          value: "Medical",
          label: null,
        },
        true,
        appliance.now(),
      );
      // The serving process reads choices made elsewhere within a second.
      const afterHideRes = await tokenOnceStatus(token, 403);
      const afterHide = await releaseRefusal(afterHideRes);
      assert.equal(afterHide.code, "SX-POLICY-DENIED");
      // No rule "portal": that is not in the operator's file.
      assert.doesNotMatch(afterHide.message, /rule/);
      assert.match(afterHide.message, /the user's Trust Portal choices hide labels or folders/);
      assert.deepEqual(afterHide.details, {
        effect: "hide",
        reason: "release_bypasses_rule",
        source: "portal",
      });
      await setChoice(
        appliance.database.db,
        {
          appId: app.id,
          entityId: "alice",
          kind: "hide_label",
          value: "Medical",
          label: null,
        },
        false,
        appliance.now(),
      );
      const shown = await tokenOnceStatus(token, 200);
      assert.equal(shown.status, 200, "the label shown again: released again");
      await shown.body?.cancel();

      // The operator's own rules that act on calls or answers cannot act on a raw token either.
      const refusedBy = async (rule: Record<string, unknown>) => {
        const loaded = env.served.runtime.applyRules({ rules: [rule] }, "test");
        assert.equal(loaded.ok, true, JSON.stringify(loaded));
        const res = await token();
        const body = await res.text();
        return res.status === 200 ? null : JSON.parse(body).error.code;
      };
      // An operator's rule is named, with its effect; its llm_error, written for the
      // calls it refuses, is not what the release says.
      env.served.runtime.applyRules({
        rules: [{
          name: "no-delete",
          target: "gmail.users.messages.delete",
          effect: "deny",
          llm_error: "Deleting mail is not allowed; archive it instead.",
        }],
      }, "test");
      const mark = await env.mark();
      const byRule = await releaseRefusal(await token());
      assert.equal(byRule.code, "SX-POLICY-DENIED");
      assert.match(
        byRule.message,
        /rule "no-delete" refuses some gmail calls, and a released token/,
      );
      assert.doesNotMatch(byRule.llmError, /archive/);
      assert.deepEqual(byRule.details, {
        rule: "no-delete",
        effect: "deny",
        reason: "release_bypasses_rule",
        source: "rules",
      });
      const [denied] = await env.audit(mark, "connection.credential_release_denied");
      assert.deepEqual(denied.data.refusedBy, byRule.details);
      assert.equal(denied.data.code, "SX-POLICY-DENIED");
      const labels = { labels: ["Medical"] };
      assert.equal(
        await refusedBy({ name: "h", target: "gmail.*", effect: "hide", ...labels }),
        "SX-POLICY-DENIED",
      );
      assert.equal(
        await refusedBy({
          name: "no-delete",
          target: "gmail.users.messages.delete",
          effect: "deny",
        }),
        "SX-POLICY-DENIED",
        "the token could delete",
      );
      assert.equal(
        await refusedBy({ name: "other", target: "slack.*", effect: "deny" }),
        null,
        "another provider's rule does not concern it",
      );
    } finally {
      await env.close();
    }
  },
});
