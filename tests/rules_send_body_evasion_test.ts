/**
 * `body_contains` on a send the appliance has no parser for (a Slack
 * message): the provider decodes the body before it posts it, so a JSON
 * escape (`\u0073ecret`), form percent-encoding (`s%65cret`) or a
 * gzip-compressed body (`Content-Encoding: gzip`) must not hide the text a
 * rule refuses. Nor may a compressed Gmail send hide it: a compressed body
 * is refused (415 `SX-UNINSPECTABLE`) wherever a check reads the body.
 */
import assert from "node:assert/strict";
import { rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).arrayBuffer();
}

Deno.test({
  name: "rules attack: body_contains is not escaped by JSON escapes, form encoding or gzip",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{
        name: "no_secret",
        target: "*",
        classes: ["send"],
        effect: "deny",
        condition: { body_contains: ["secret"] },
      }],
    });
    try {
      const slack = `${env.proxy("slack")}/api/chat.postMessage`;
      const gmail = `${env.proxy("gmail")}/gmail/v1/users/me/messages/send`;
      const json = { "content-type": "application/json" };
      const raw = toBase64Url("To: bob@acme.com\r\nSubject: Hi\r\n\r\nThe secret plan\r\n");
      const attacks: [string, string, Record<string, string>, BodyInit, string][] = [
        [
          "json escape",
          slack,
          json,
          '{"channel":"C1","text":"the \\u0073ecret plan"}',
          "SX-POLICY-DENIED",
        ],
        [
          "form encoding",
          slack,
          { "content-type": "application/x-www-form-urlencoded" },
          "channel=C1&text=the+s%65cret+plan",
          "SX-POLICY-DENIED",
        ],
        [
          "gzip (slack)",
          slack,
          { ...json, "content-encoding": "gzip" },
          await gzip('{"channel":"C1","text":"the secret plan"}'),
          "SX-UNINSPECTABLE",
        ],
        [
          "gzip (gmail)",
          gmail,
          { ...json, "content-encoding": "gzip" },
          await gzip(JSON.stringify({ raw })),
          "SX-UNINSPECTABLE",
        ],
      ];
      const reached = env.fake.seen.length;
      for (const [what, url, headers, body, code] of attacks) {
        const res = await fetch(url, {
          method: "POST",
          headers: { ...env.headers(), ...headers },
          body,
        });
        const text = await res.text();
        assert.equal(res.status, code === "SX-UNINSPECTABLE" ? 415 : 403, `${what}: ${text}`);
        assert.equal(JSON.parse(text).error.code, code, what);
      }
      assert.deepEqual(
        env.fake.seen.slice(reached).map((s) => `${s.method} ${s.path}`),
        [],
        "no evasion reached the provider",
      );
      // A message without the word still goes out.
      const ok = await fetch(slack, {
        method: "POST",
        headers: { ...env.headers(), ...json },
        body: '{"channel":"C1","text":"the plan"}',
      });
      assert.notEqual(ok.status, 403, await ok.text());
    } finally {
      await env.close();
    }
  },
});
