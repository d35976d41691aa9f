/**
 * A `hide` rule whose defence for an operation is the answer filter (Gmail
 * labels.list drops hidden labels, threads.list drops snippets, Drive
 * files.list drops hidden files) meets an answer it cannot read: compressed
 * although identity was asked for, or in another format (Google's `alt`
 * system parameter: `alt=proto`). Such a successful answer must be refused,
 * as one too large to inspect already is — never passed on unfiltered.
 */
import assert from "node:assert/strict";
import { DRIVE_IDS } from "./helpers/fake_apis/drive.ts";
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

/** Google's anti-XSSI prefix before the JSON, the content type still saying JSON. */
const XSSI = ")]}'\n";

/** Gmail's labels.list answered unreadably: XSSI-prefixed JSON, or protobuf for `alt=proto`. */
const LABELS_PREFIXED = XSSI + JSON.stringify({ labels: [{ id: "Label_1", name: "HR" }] });
function unreadableLabels(call: { path: string; query: URLSearchParams }): Response | undefined {
  if (call.path !== "/gmail/v1/users/me/labels") return undefined;
  return call.query.get("alt") === "proto"
    ? new Response("\x0a\x07Label_1", { headers: { "content-type": "application/x-protobuf" } })
    : new Response(LABELS_PREFIXED, { headers: { "content-type": "application/json" } });
}

Deno.test({
  name:
    "hide: a listed answer labelled JSON that does not parse (XSSI prefix) or lacks its list is refused, not passed on unfiltered",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{
        name: "hide_hr",
        target: "*",
        effect: "hide",
        labels: ["HR"],
        folders: [DRIVE_IDS.HR],
      }],
    });
    try {
      const answers: Record<string, string> = {
        "/gmail/v1/users/me/threads": JSON.stringify({
          threads: [{ id: "t1", snippet: "HR: salary review for Bob" }],
        }),
        "/drive/v3/files": JSON.stringify({
          files: [{ id: DRIVE_IDS.SALARIES, name: "salaries.csv", parents: [DRIVE_IDS.HR] }],
        }),
      };
      const json = { "content-type": "application/json; charset=UTF-8" };
      let body = (path: string) => XSSI + answers[path];
      env.fake.intercept = (call) => {
        if (!(call.path in answers)) return undefined;
        return new Response(body(call.path), { headers: json });
      };
      const call = (provider: "gmail" | "drive", path: string) =>
        fetch(`${env.proxy(provider)}${path}`, {
          headers: { ...env.headers(), "accept-encoding": "identity" },
        });
      const refused = async (res: Response, what: string) => {
        const text = await res.text();
        assert.equal(res.status, 502, `${what}: ${text}`);
        assert.equal(JSON.parse(text).error.code, "SX-UNINSPECTABLE", text);
        assert.equal(text.includes("salar"), false, text);
        return JSON.parse(text).error;
      };

      const threads = await refused(await call("gmail", "/gmail/v1/users/me/threads"), "threads");
      assert.equal(threads.details.rule, "hide_hr");
      await refused(await call("drive", "/drive/v3/files"), "drive files");

      // The list under its key is not an array: the filter cannot find the items.
      body = (path) => {
        const parsed = JSON.parse(answers[path]);
        const key = Object.keys(parsed)[0];
        return JSON.stringify({ [key]: { 0: parsed[key][0] } });
      };
      await refused(await call("gmail", "/gmail/v1/users/me/threads"), "threads, no array");
      await refused(await call("drive", "/drive/v3/files"), "drive files, no array");

      // An empty search answers without its list at all: nothing to hide, passed on.
      body = () => JSON.stringify({ resultSizeEstimate: 0 });
      const empty = await call("gmail", "/gmail/v1/users/me/threads");
      assert.equal(empty.status, 200);
      assert.deepEqual(await empty.json(), { resultSizeEstimate: 0 });

      // labels.list: the label lookup and the call both read the same prefixed answer.
      env.fake.intercept = (call) =>
        call.path === "/gmail/v1/users/me/labels"
          ? new Response(XSSI + JSON.stringify({ labels: [{ id: "Label_1", name: "HR" }] }), {
            headers: json,
          })
          : undefined;
      const labels = await call("gmail", "/gmail/v1/users/me/labels");
      const labelsText = await labels.text();
      assert.equal(labels.status, 502, labelsText);
      assert.equal(labelsText.includes("Label_1"), false, labelsText);
      assert.equal(JSON.parse(labelsText).error.code, "SX-UNINSPECTABLE");
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "hide: an unreadable list is passed on when the hide policy hides nothing of that provider (Drive folders only, Gmail labels.list)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "hide_hr_drive", target: "*", effect: "hide", folders: [DRIVE_IDS.HR] }],
    });
    try {
      env.fake.intercept = unreadableLabels;
      const labels = (query = "") =>
        fetch(`${env.proxy("gmail")}/gmail/v1/users/me/labels${query}`, {
          headers: { ...env.headers(), "accept-encoding": "identity" },
        });
      const xssi = await labels();
      assert.equal(xssi.status, 200);
      assert.equal(await xssi.text(), LABELS_PREFIXED);
      const proto = await labels("?alt=proto");
      assert.equal(proto.status, 200, await proto.clone().text());
      await proto.body?.cancel();

      // Drive, whose folders the rule hides, is still refused.
      env.fake.intercept = (call) =>
        call.path === "/drive/v3/files"
          ? new Response(XSSI + JSON.stringify({ files: [] }), {
            headers: { "content-type": "application/json" },
          })
          : undefined;
      const files = await fetch(`${env.proxy("drive")}/drive/v3/files`, {
        headers: { ...env.headers(), "accept-encoding": "identity" },
      });
      assert.equal(files.status, 502, await files.clone().text());
      await files.body?.cancel();
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "hide: the refusal of an unreadable list names the rule that hides something of that provider, not the first hide rule",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [
        { name: "hide_hr_drive", target: "*", effect: "hide", folders: [DRIVE_IDS.HR] },
        { name: "hide_hr_mail", target: "gmail.*", effect: "hide", labels: ["HR"] },
      ],
    });
    try {
      env.fake.intercept = unreadableLabels;
      for (const query of ["", "?alt=proto"]) {
        const res = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/labels${query}`, {
          headers: { ...env.headers(), "accept-encoding": "identity" },
        });
        const text = await res.text();
        assert.equal(res.status, 502, `${query}: ${text}`);
        const error = JSON.parse(text).error;
        assert.equal(error.code, "SX-UNINSPECTABLE", text);
        assert.equal(error.details.rule, "hide_hr_mail", `${query}: ${text}`);
      }
      // Refused before credentials (a batch cannot be checked for hidden items): the same rule.
      const batch = await fetch(`${env.proxy("gmail")}/batch/gmail/v1`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": "multipart/mixed; boundary=b" },
        // One readable call: the mass-delete detector counts it (an unreadable batch is its 400).
        body: "--b\r\nContent-Type: application/http\r\n\r\n" +
          "GET /gmail/v1/users/me/messages/1\r\n\r\n--b--\r\n",
      });
      const batchText = await batch.text();
      assert.equal(batch.status, 403, batchText);
      assert.match(batchText, /cannot be checked for hidden items/);
      assert.equal(JSON.parse(batchText).error.details.rule, "hide_hr_mail", batchText);
    } finally {
      await env.close();
    }
  },
});
