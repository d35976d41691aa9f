/**
 * A rule's `path_matches` against paths the provider reads as the same
 * resource: percent-encoded letters (`%70ayroll`), another case (GitHub's
 * owner and repository names are case-insensitive), doubled and trailing
 * slashes. Each is forwarded as sent, so the rule must judge what the
 * provider will read, not the bytes as sent; none may reach the provider.
 */
import assert from "node:assert/strict";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "rules attack: path_matches is not escaped by encoding, case or empty segments",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{
        name: "no_payroll",
        target: "github.*",
        effect: "deny",
        condition: { path_matches: "/repos/octo-org/payroll*" },
      }, {
        name: "no_drafts_put",
        target: "gmail.*",
        effect: "deny",
        condition: { path_matches: "/gmail/v1/users/*/drafts/Draft1" },
      }],
    });
    try {
      const auth = Object.entries(env.headers());
      const get = (target: string) =>
        rawRequest(env.port, { method: "GET", target, headers: auth });
      const reached = env.fake.seen.length;
      const attacks = [
        "/proxy/github/repos/octo-org/payroll",
        "/proxy/github/repos/octo-org/%70ayroll",
        "/proxy/github/repos/octo-org/%70%61%79roll/issues",
        "/proxy/github/repos/Octo-Org/PAYROLL",
        "/proxy/github/repos//octo-org/payroll",
        "/proxy/github/repos/octo-org//payroll/",
        "/proxy/github/repos/%6fcto-org/payroll",
        "/proxy/gmail/gmail/v1/users/me/drafts/Draft%31",
        "/proxy/gmail/gmail/v1/users/me//drafts/Draft1/",
      ];
      for (const target of attacks) {
        const res = await get(target);
        assert.ok(res, target);
        assert.equal(statusOf(res), 403, `${target}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, "SX-POLICY-DENIED", target);
      }
      assert.deepEqual(
        env.fake.seen.slice(reached).map((s) => `${s.method} ${s.path}`),
        [],
        "no evasion reached the provider",
      );
      // Another repository is not caught by the rule.
      const other = await get("/proxy/github/repos/octo-org/hello-world");
      assert.ok(other);
      assert.notEqual(JSON.parse(other.body).error?.code, "SX-POLICY-DENIED", other.body);
    } finally {
      await env.close();
    }
  },
});
