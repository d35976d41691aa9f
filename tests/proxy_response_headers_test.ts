/**
 * What a browser does with a proxied answer: an upstream page must not run
 * script as the appliance's origin, and nothing the proxy returns may be
 * sniffed into a type it was not sent as. Through a real listening appliance
 * and a raw upstream that sends exactly what the test scripts.
 */
import assert from "node:assert/strict";
import { UPSTREAM_MARK } from "./helpers/fake_upstream.ts";
import { setupProxyEnv } from "./helpers/proxy_env.ts";
import { type RawMessage, rawRequest, statusOf } from "./helpers/raw_http.ts";

const PAGE = "<!doctype html><title>inbox</title><script>fetch('/v1/webhooks')</script>";

/** The CSP policies a browser would enforce: one per header line or comma-joined entry. */
function policies(res: RawMessage): string[] {
  return (res.headers.get("content-security-policy") ?? "").split(",").map((p) => p.trim())
    .filter((p) => p !== "");
}

Deno.test("proxy response headers: upstream HTML runs sandboxed; JSON, HTML and error answers are nosniff", async (t) => {
  const env = await setupProxyEnv();
  try {
    const get = (target = "/proxy/gmail/gmail/v1/users/me/messages", headers = env.auth) =>
      rawRequest(env.port, { target, headers });

    for (
      const type of ["text/html", "text/html; charset=utf-8", "TEXT/HTML;Charset=UTF-8"]
    ) {
      await t.step(`upstream ${type} with a script → sandboxed`, async () => {
        env.upstream.respond = () => ({
          status: 200,
          headers: [["Content-Type", type]],
          body: PAGE,
        });
        const res = await get();
        assert.ok(res);
        assert.equal(statusOf(res), 200);
        assert.equal(res.headers.get(UPSTREAM_MARK), "1", "the upstream's own answer");
        assert.equal(res.body, PAGE, "served as it came");
        assert.deepEqual(policies(res), ["sandbox"]);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      });
    }

    await t.step("an upstream CSP that allows scripts does not lift the sandbox", async () => {
      env.upstream.respond = () => ({
        status: 200,
        headers: [
          ["Content-Type", "text/html"],
          ["Content-Security-Policy", "script-src 'unsafe-inline' *"],
          ["X-Content-Type-Options", "none"],
        ],
        body: PAGE,
      });
      const res = await get();
      assert.ok(res);
      const enforced = policies(res);
      assert.ok(enforced.includes("sandbox"), JSON.stringify(enforced));
      assert.ok(enforced.includes("script-src 'unsafe-inline' *"), "the upstream's is kept too");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    });

    await t.step("upstream JSON → nosniff, no sandbox", async () => {
      env.upstream.respond = () => ({
        status: 200,
        headers: [["Content-Type", "application/json"]],
        body: '{"messages":[]}',
      });
      const res = await get();
      assert.ok(res);
      assert.equal(statusOf(res), 200);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.deepEqual(policies(res), []);
    });

    await t.step(
      "upstream answer without a Content-Type → sandboxed (it could sniff into HTML)",
      async () => {
        env.upstream.respond = () => ({ status: 200, body: PAGE });
        const res = await get();
        assert.ok(res);
        assert.deepEqual(policies(res), ["sandbox"]);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      },
    );

    const refusals: [string, () => Promise<RawMessage | null>, number][] = [
      ["no API key", () => get("/proxy/gmail/x", []), 401],
      [
        "bad API key",
        () => get("/proxy/gmail/x", [["securix-api-key", "sx_bad"], ...env.auth.slice(1)]),
        401,
      ],
      [
        "unknown provider host",
        () => rawRequest(env.port, { target: "/x", host: `nope.api.localhost:${env.port}` }),
        404,
      ],
      ["unparsable Host", () => rawRequest(env.port, { target: "/x", host: "a b" }), 400],
    ];
    for (const [name, send, status] of refusals) {
      await t.step(`the proxy's own error (${name}) → nosniff`, async () => {
        const res = await send();
        assert.ok(res);
        assert.equal(statusOf(res), status, `${res.startLine} ${res.body}`);
        assert.equal(res.headers.has(UPSTREAM_MARK), false);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      });
    }

    await t.step(
      "an upstream error page is the upstream's answer: nosniff and sandboxed",
      async () => {
        env.upstream.respond = () => ({
          status: 502,
          headers: [["Content-Type", "text/html"]],
          body: "<h1>Bad gateway</h1><script>alert(1)</script>",
        });
        const res = await get();
        assert.ok(res);
        assert.equal(statusOf(res), 502);
        assert.deepEqual(policies(res), ["sandbox"]);
        assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      },
    );
  } finally {
    await env.close();
  }
});
