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
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { envelope, rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

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

Deno.test({
  name:
    "proxy attack: an override the provider would not act on as judged is refused (Connection-listed, non-POST, no method) or stripped (a provider that honours none)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [
        { name: "draft-only", target: "gmail.*", classes: ["send"], effect: "deny" },
        {
          name: "read-only",
          target: "github.*",
          classes: ["write", "send", "delete"],
          effect: "deny",
        },
      ],
    });
    try {
      const auth = Object.entries(env.headers());
      const send = `/proxy/gmail/gmail/v1/users/me/messages/send`;
      const mail = JSON.stringify({
        raw: toBase64Url("To: eve@evil.example\r\nSubject: x\r\n\r\nsecret\r\n"),
      });
      const json: [string, string][] = [...auth, ["Content-Type", "application/json"]];
      const reached = env.fake.seen.length;
      // Gmail honours X-HTTP-Method-Override, so the rules judge it: it must reach Gmail as
      // judged, on a POST, naming one method.
      const refused: [string, { method: string; headers: [string, string][]; body?: string }][] = [
        ["listed in Connection (stripped on this hop after the rules judged a read)", {
          method: "POST",
          headers: [
            ...json,
            ["X-HTTP-Method-Override", "GET"],
            ["Connection", "keep-alive, x-http-method-override"],
          ],
          body: mail,
        }],
        ["on a DELETE", {
          method: "DELETE",
          headers: [...auth, ["X-HTTP-Method-Override", "GET"]],
        }],
        ["empty", {
          method: "POST",
          headers: [...json, ["X-HTTP-Method-Override", ""]],
          body: mail,
        }],
        ["no method", {
          method: "POST",
          headers: [...json, ["X-HTTP-Method-Override", "FETCH"]],
          body: mail,
        }],
      ];
      for (const [why, request] of refused) {
        const res = await rawRequest(env.port, { target: send, ...request });
        assert.ok(res, why);
        assert.equal(statusOf(res), 400, `${why}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, "SX-INVALID-INPUT", `${why}: ${res.body}`);
      }
      assert.deepEqual(env.fake.seen.slice(reached).map((s) => `${s.method} ${s.path}`), []);
      assert.equal(env.fake.state.gmail.sent.length, 0, "no mail was sent");

      // GitHub honours no override: the rules judge the method sent, and no override goes on
      // (so a provider acting on one anyway acts on what was judged).
      const repo = `/proxy/github/repos/${GITHUB_REPOS.HELLO_WORLD}`;
      const deleted = await rawRequest(env.port, {
        method: "DELETE",
        target: repo,
        headers: [...auth, ["X-HTTP-Method-Override", "GET"]],
      });
      assert.ok(deleted);
      assert.equal(JSON.parse(deleted.body).error.code, "SX-POLICY-DENIED", deleted.body);
      assert.deepEqual(env.fake.state.github.deletedRepos, []);
      const read = await rawRequest(env.port, {
        method: "GET",
        target: repo,
        headers: [...auth, ["X-HTTP-Method-Override", "DELETE"], ["X-HTTP-Method", "DELETE"]],
      });
      assert.ok(read);
      assert.equal(statusOf(read), 200, read.body);
      const upstream = env.fake.seenBy("github").at(-1)!;
      assert.equal(upstream.method, "GET");
      assert.equal(upstream.headers.get("x-http-method-override"), null, "stripped");
      assert.equal(upstream.headers.get("x-http-method"), null, "stripped");
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "proxy attack: a header named with underscores (X_HTTP_METHOD_OVERRIDE, Securix_Api_Key) never reaches the provider",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "no_deletes", target: "github.*", classes: ["delete"], effect: "deny" }],
    });
    try {
      const auth = Object.entries(env.headers());
      // Puma maps X_HTTP_METHOD_OVERRIDE to HTTP_X_HTTP_METHOD_OVERRIDE, which Rack honours
      // (its CVE-2024-45614 fix drops it only beside the dashed one, which the appliance strips).
      const underscored: [string, string][] = [
        ["X_HTTP_METHOD_OVERRIDE", "DELETE"],
        ["x_http_method", "DELETE"],
        ["X-Method_Override", "DELETE"],
        ["Securix_Api_Key", auth.find(([name]) => name === "securix-api-key")![1]],
        ["X_Custom", "1"],
      ];
      const res = await rawRequest(env.port, {
        method: "POST",
        target: `/proxy/github/repos/${GITHUB_REPOS.HELLO_WORLD}/issues`,
        headers: [
          ...auth,
          ["Content-Type", "application/json"],
          ["X-Custom", "kept"],
          ...underscored,
        ],
        body: JSON.stringify({ title: "x" }),
      });
      assert.ok(res);
      const upstream = env.fake.seenBy("github").at(-1)!;
      assert.equal(upstream.method, "POST", res.body);
      const names = [...upstream.headers.keys()];
      assert.deepEqual(names.filter((name) => name.includes("_")), [], names.join(", "));
      assert.equal(upstream.headers.get("x-custom"), "kept");
      assert.deepEqual(env.fake.state.github.deletedRepos, []);
    } finally {
      await env.close();
    }
  },
});
