/**
 * Credential release (`GET /v1/token/{id}`) against rules limited to some
 * agents, methods or paths. The released token can make any call for
 * whoever holds the key, so such a rule that refuses must refuse the release
 * too: leaving `securix-agent-id` out, naming an agent the app never
 * registered, or the release being a GET of another path must not step
 * around a rule the proxy would apply to the same agent's calls.
 */
import assert from "node:assert/strict";
import { findApp } from "../src/apps/app_store.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { cliActor } from "../src/audit/actor.ts";
import { type RulesEnv, rulesEnv } from "./helpers/rules_env.ts";
import { seedConnection } from "./helpers/seed.ts";

async function release(env: RulesEnv, agent: string | null): Promise<string> {
  const headers: Record<string, string> = { "securix-api-key": env.apiKey() };
  if (agent !== null) headers["securix-agent-id"] = agent;
  const res = await fetch(`${env.base}/v1/token/conn_demo_alice_gmail`, { headers });
  const text = await res.text();
  if (res.status === 200) {
    assert.match(text, /access_token/);
    return "released";
  }
  assert.equal(text.includes("access_token"), false, text);
  return `${res.status} ${JSON.parse(text).error.code}`;
}

/** The refusal's message of a release the rules refuse. */
async function refusalMessage(env: RulesEnv, agent: string | null): Promise<string> {
  const headers: Record<string, string> = { "securix-api-key": env.apiKey() };
  if (agent !== null) headers["securix-agent-id"] = agent;
  const res = await fetch(`${env.base}/v1/token/conn_demo_alice_gmail`, { headers });
  const body = await res.json();
  assert.equal(res.status, 403, JSON.stringify(body));
  return body.error.message;
}

Deno.test({
  name:
    "credential release: agent-, method- and path-limited refusals apply whatever agent id is sent; unknown agents are refused",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv();
    try {
      const { appliance } = env.temp;
      await updateApp(appliance.database, "demo", { credentialRelease: true }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      const rules = (...list: Record<string, unknown>[]) => {
        const loaded = env.served.runtime.applyRules({ rules: list }, "test");
        assert.equal(loaded.ok, true, JSON.stringify(loaded));
      };
      assert.equal(await release(env, null), "released", "control: no rules");
      assert.equal(await release(env, "agent-1"), "released", "control: a registered agent");

      // Registered agents only, as on the proxy.
      assert.equal(await release(env, "ghost"), "403 SX-AGENT-UNKNOWN");

      for (const effect of ["deny", "approve"]) {
        rules({ name: "mail_agent_no_gmail", target: "gmail.*", agents: ["mail-agent"], effect });
        assert.equal(await release(env, "mail-agent"), "403 SX-POLICY-DENIED", effect);
        assert.equal(
          await release(env, null),
          "403 SX-POLICY-DENIED",
          `${effect}: without an agent id the holder may be mail-agent`,
        );
        // The token is not tied to agent-1 once released: mail-agent could use it.
        assert.equal(
          await release(env, "agent-1"),
          "403 SX-POLICY-DENIED",
          `${effect}: another agent's id does not step around it`,
        );
        // Refused whether securix-agent-id is left out or not, and the refusal says so: the
        // developer is not sent looking for the header.
        for (const agent of [null, "agent-1"]) {
          assert.match(
            await refusalMessage(env, agent),
            /for the agents it names, .*whatever securix-agent-id is sent/,
            `${effect}, agent ${agent}`,
          );
        }
      }
      rules({
        name: "mail_agent_hides",
        target: "gmail.*",
        agents: ["mail-agent"],
        effect: "hide",
        labels: ["Medical"],
      });
      assert.equal(await release(env, null), "403 SX-POLICY-DENIED", "hide");
      // A limit, also one scoped to another agent: the token's calls would never be counted.
      rules({ name: "gmail_slow", target: "gmail.*", effect: "limit", rate: "100/hour" });
      assert.equal(await release(env, "agent-1"), "403 SX-POLICY-DENIED", "limit");
      assert.match(
        await refusalMessage(env, "agent-1"),
        /rule "gmail_slow" rate-limits some gmail calls, and a released token would get around it/,
      );
      rules({
        name: "mail_agent_slow",
        target: "gmail.*",
        agents: ["mail-agent"],
        effect: "limit",
        rate: "1/hour",
      });
      assert.equal(await release(env, null), "403 SX-POLICY-DENIED", "limit of some agents");
      assert.equal(
        await release(env, "agent-1"),
        "403 SX-POLICY-DENIED",
        "limit: another agent's id does not step around it",
      );
      rules({ name: "slack_slow", target: "slack.*", effect: "limit", rate: "1/hour" });
      assert.equal(await release(env, "agent-1"), "released", "another provider's limit");

      // Method and path conditions: the token can POST to any path.
      rules({
        name: "no_posts",
        target: "gmail.*",
        effect: "deny",
        condition: { method_in: ["POST"] },
      });
      assert.equal(await release(env, "agent-1"), "403 SX-POLICY-DENIED", "method_in");
      rules({
        name: "no_send_path",
        target: "gmail.*",
        effect: "deny",
        condition: { path_matches: "/gmail/v1/users/*/messages/send" },
      });
      assert.equal(await release(env, "agent-1"), "403 SX-POLICY-DENIED", "path_matches");
      rules({ name: "other", target: "slack.*", effect: "deny", agents: ["mail-agent"] });
      assert.equal(await release(env, null), "released", "another provider's rule");
      assert.equal(await release(env, "agent-1"), "released", "another provider's rule, agent id");
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "credential release: a provider no longer enabled is refused as the proxy refuses it (its family's rules would not apply)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv();
    try {
      const { appliance } = env.temp;
      await updateApp(appliance.database, "demo", { credentialRelease: true }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      const demo = (await findApp(appliance.database.db, "demo"))!;
      // A connection left from when the operator still enabled the provider.
      await seedConnection(appliance, {
        id: "conn_demo_alice_dropped",
        appId: demo.id,
        entityId: "alice",
        provider: "dropped",
        accessToken: "dropped-token",
      });
      // A family-wide rule the release would otherwise step around.
      const loaded = env.served.runtime.applyRules({
        rules: [{ name: "no_google", target: "google.*", effect: "deny" }],
      }, "test");
      assert.equal(loaded.ok, true, JSON.stringify(loaded));
      const headers = { "securix-api-key": env.apiKey(), "securix-agent-id": "agent-1" };
      for (
        const [method, path] of [["GET", "/v1/token"], ["POST", "/v1/refresh"]] as const
      ) {
        const res = await fetch(`${env.base}${path}/conn_demo_alice_dropped`, { method, headers });
        const text = await res.text();
        assert.equal(text.includes("dropped-token"), false, text);
        assert.equal(res.status, 404, `${method} ${path}: ${text}`);
        assert.equal(JSON.parse(text).error.code, "SX-UNKNOWN-PROVIDER", text);
      }
      // The enabled provider's release is still decided by the rules.
      assert.equal(await release(env, "agent-1"), "403 SX-POLICY-DENIED");
    } finally {
      await env.close();
    }
  },
});
