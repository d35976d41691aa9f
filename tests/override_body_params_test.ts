/**
 * Google reads a POST with `X-HTTP-Method-Override: GET` as a GET whose
 * parameters may be in a form body (its client libraries do this for long
 * URLs). The rules see only the URL: a hide rule narrows the URL's `q`
 * while the body names `q=label:HR`. Such a call is refused, never
 * forwarded; an override without a body still works.
 */
import assert from "node:assert/strict";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "proxy attack: an override to a bodyless method cannot carry parameters in a body",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "hide_hr", target: "gmail.*", effect: "hide", labels: ["HR"] }],
    });
    try {
      const auth = Object.entries(env.headers());
      const target = "/proxy/gmail/gmail/v1/users/me/messages";
      const reached = env.fake.seen.length;
      for (const method of ["GET", "HEAD", "DELETE"]) {
        const res = await rawRequest(env.port, {
          method: "POST",
          target,
          headers: [
            ...auth,
            ["X-HTTP-Method-Override", method],
            ["Content-Type", "application/x-www-form-urlencoded"],
          ],
          body: "q=label%3AHR",
        });
        assert.ok(res, method);
        assert.equal(statusOf(res), 400, `${method}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, "SX-INVALID-INPUT", res.body);
      }
      assert.deepEqual(
        env.fake.seen.slice(reached).filter((s) => s.provider === "gmail" && s.method === "POST")
          .map((s) => `${s.method} ${s.path}`),
        [],
        "no overridden call with a body reached Gmail",
      );
      // The same override without a body is a GET as before (narrowed by the hide rule).
      const plain = await rawRequest(env.port, {
        method: "POST",
        target,
        headers: [...auth, ["X-HTTP-Method-Override", "GET"], ["Content-Length", "0"]],
      });
      assert.ok(plain);
      assert.notEqual(statusOf(plain), 400, plain.body);
      // (The fake honours no override: it saw a POST, narrowed as a GET.)
      const seen = env.fake.seen.at(-1)!;
      assert.equal(`${seen.method} ${seen.path}`, "POST /gmail/v1/users/me/messages");
      assert.match(seen.query.get("q") ?? "", /-label:"hr"/i);
    } finally {
      await env.close();
    }
  },
});
