/**
 * Method overrides that disagree. Google honours X-HTTP-Method-Override;
 * other APIs honour X-HTTP-Method (OData, SharePoint) or X-Method-Override.
 * The rules judge the method by one fixed precedence; a caller that sends
 * `X-HTTP-Method-Override: GET` beside `X-HTTP-Method: DELETE` (or one field
 * twice) would have a read judged while a provider that prefers the other
 * header deletes. Such a request is refused before anything else, and never
 * reaches the provider; overrides that agree still work as one.
 */
import assert from "node:assert/strict";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { envelope, rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "proxy attack: method overrides naming different methods are refused, never forwarded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "no-delete", target: "gmail.users.messages.delete", effect: "deny" }],
    });
    try {
      const target = `/proxy/gmail/gmail/v1/users/me/messages/${MESSAGE_IDS.PLANNING}`;
      const auth = Object.entries(env.headers());
      const send = (overrides: [string, string][]) =>
        rawRequest(env.port, { method: "POST", target, headers: [...auth, ...overrides] });
      const count = () => env.fake.state.gmail.messages.size;
      const before = count();

      // Control: one override (or two that agree) is the method the rules judge.
      for (
        const overrides of [
          [["X-HTTP-Method-Override", "DELETE"]],
          [["X-HTTP-Method-Override", "DELETE"], ["X-HTTP-Method", "delete"]],
        ] as [string, string][][]
      ) {
        const res = await send(overrides);
        assert.ok(res);
        assert.equal(JSON.parse(res.body).error.code, "SX-POLICY-DENIED", res.body);
      }

      const attacks: [string, string][][] = [
        [["X-HTTP-Method-Override", "GET"], ["X-HTTP-Method", "DELETE"]],
        [["X-HTTP-Method-Override", "GET"], ["X-Method-Override", "DELETE"]],
        [["X-HTTP-Method-Override", "GET"], ["X-HTTP-Method-Override", "DELETE"]],
        [["X-HTTP-Method", "GET, DELETE"]],
      ];
      // The fake honours no override header, so a count of messages cannot tell a forwarded
      // attack: what reached the upstream at all can.
      const reached = env.fake.seen.length;
      for (const overrides of attacks) {
        const res = await send(overrides);
        assert.ok(res, JSON.stringify(overrides));
        assert.equal(statusOf(res), 400, `${JSON.stringify(overrides)}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, "SX-INVALID-INPUT", res.body);
      }
      assert.deepEqual(
        env.fake.seen.slice(reached).map((s) => `${s.method} ${s.path}`),
        [],
        "no attack reached the provider",
      );
      assert.equal(count(), before, "no message was deleted");

      // A plain read still goes through.
      const read = await fetch(`${env.base}${target}`, { headers: env.headers() });
      assert.equal(read.status, 200, JSON.stringify(await envelope(read.clone()).catch(() => "")));
      await read.body?.cancel();
    } finally {
      await env.close();
    }
  },
});
