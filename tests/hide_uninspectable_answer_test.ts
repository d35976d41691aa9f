/**
 * A `hide` rule whose defence for an operation is the answer filter (Gmail
 * labels.list drops hidden labels, threads.list drops snippets, Drive
 * files.list drops hidden files) meets an answer it cannot read: compressed
 * although identity was asked for, or in another format (Google's `alt`
 * system parameter: `alt=proto`). Such a successful answer must be refused,
 * as one too large to inspect already is — never passed on unfiltered.
 */
import assert from "node:assert/strict";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name:
    "hide: an answer the filter cannot read (compressed regardless, alt=proto) is refused, never passed on with hidden items",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "hide_hr", target: "gmail.*", effect: "hide", labels: ["HR"] }],
    });
    try {
      const labels = (query = "") =>
        fetch(`${env.proxy("gmail")}/gmail/v1/users/me/labels${query}`, {
          headers: { ...env.headers(), "accept-encoding": "identity" },
        });
      // Control: the readable answer is filtered.
      const plain = await labels();
      const names = ((await plain.json()).labels as { name: string }[]).map((l) => l.name);
      assert.equal(names.includes("HR"), false, "HR is filtered out");
      assert.ok(names.includes("Legal"));

      // The provider compresses although identity was asked for.
      env.fake.gzip = "always";
      const zipped = await labels();
      const zippedBody = new Uint8Array(await zipped.arrayBuffer());
      assert.equal(zipped.status, 502, `gzip: ${zipped.status}`);
      assert.equal(JSON.parse(new TextDecoder().decode(zippedBody)).error.code, "SX-UNINSPECTABLE");
      env.fake.gzip = false;

      // Another format of the same answer (a stand-in for Google's protobuf encoding).
      env.fake.intercept = (call) => {
        if (call.query.get("alt") !== "proto") return undefined;
        return new Response(
          JSON.stringify({ labels: [{ id: "Label_1", name: "HR" }] }),
          { headers: { "content-type": "application/x-protobuf" } },
        );
      };
      const proto = await labels("?alt=proto");
      const protoText = await proto.text();
      assert.equal(proto.status, 502, protoText);
      assert.equal(protoText.includes("HR"), false, protoText);
      assert.equal(JSON.parse(protoText).error.code, "SX-UNINSPECTABLE");

      // An error answer carries no items: passed on as it is.
      env.fake.intercept = () =>
        new Response("not found", { status: 404, headers: { "content-type": "text/plain" } });
      const missing = await labels();
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), "not found");
    } finally {
      await env.close();
    }
  },
});
