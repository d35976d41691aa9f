/**
 * A compressed request body (`Content-Encoding: gzip`, deflate, br, zstd, a
 * list naming one, in any case) is read by whoever inflates it upstream, not
 * by the checks here: wherever a check reads the caller's body, such a call
 * is refused with 415 `SX-UNINSPECTABLE` and never forwarded. A call no
 * body-reading check concerns still streams through as sent.
 */
import assert from "node:assert/strict";
import { findApp } from "../src/apps/app_store.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { startFakeUpstream } from "./helpers/fake_upstream.ts";
import { envelope, rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

async function gzip(text: string): Promise<ArrayBuffer> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).arrayBuffer();
}

async function assertUninspectable(res: Response, what: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, 415, `${what}: ${text}`);
  const { error } = JSON.parse(text);
  assert.equal(error.code, "SX-UNINSPECTABLE", what);
  assert.match(error.message, /uncompressed/, what);
}

Deno.test({
  name: "compressed body: a gzip'd `_method=DELETE` form to GitHub or GitLab never reaches them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const gitlab = startFakeUpstream();
    const env = await rulesEnv({ upstreams: { gitlab: `http://127.0.0.1:${gitlab.port}` } });
    try {
      const form = await gzip("_method=DELETE");
      const codings = ["gzip", "GZip ", "gzip, identity", "identity, deflate", "br", "zstd"];
      const reached = env.fake.seen.length;
      const targets = [
        `${env.proxy("github")}/repos/${GITHUB_REPOS.HELLO_WORLD}`,
        `${env.base}/proxy/gitlab/api/v4/projects/1`,
      ];
      for (const target of targets) {
        for (const coding of codings) {
          const res = await fetch(target, {
            method: "POST",
            headers: {
              ...env.headers(),
              "content-type": "application/x-www-form-urlencoded",
              "content-encoding": coding,
            },
            body: form,
          });
          await assertUninspectable(res, `${target} ${coding}`);
        }
      }
      assert.deepEqual(env.fake.seen.slice(reached).map((s) => `${s.method} ${s.path}`), []);
      assert.deepEqual(env.fake.state.github.deletedRepos, []);
      assert.equal(gitlab.requests.length, 0);
      // `identity` is no compression: the form is read, and a plain one goes through.
      const plain = await fetch(`${env.proxy("github")}/repos/${GITHUB_REPOS.HELLO_WORLD}/issues`, {
        method: "POST",
        headers: {
          ...env.headers(),
          "content-type": "application/x-www-form-urlencoded",
          "content-encoding": "Identity",
        },
        body: "title=x",
      });
      await plain.body?.cancel();
      assert.notEqual(plain.status, 415);
      assert.notEqual(plain.status, 400);
      // A call no check reads the body of (JSON is no form) goes on compressed, byte for byte.
      const json = await gzip('{"title":"x"}');
      const before = env.fake.seen.length;
      const passed = await fetch(
        `${env.proxy("github")}/repos/${GITHUB_REPOS.HELLO_WORLD}/issues`,
        {
          method: "POST",
          headers: {
            ...env.headers(),
            "content-type": "application/json",
            "content-encoding": "gzip",
          },
          body: json,
        },
      );
      await passed.body?.cancel();
      const seen = env.fake.seen.slice(before);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].headers.get("content-encoding"), "gzip");
      assert.deepEqual(seen[0].body, new Uint8Array(json));
    } finally {
      await env.close();
      await gitlab.close();
    }
  },
});

Deno.test({
  name:
    "compressed body: a gzip'd GraphQL delete mutation cannot hide from the rules or mass_delete",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{
        name: "no_deletes",
        target: "github.mutation.delete*",
        effect: "deny",
        entities: ["alice"],
      }],
      raw: { security: { mass_delete: { threshold: 5, window: "60s" } } },
      entities: ["alice", "bob"],
    });
    try {
      const reached = env.fake.seenBy("github").length;
      const aliases = Array.from(
        { length: 6 },
        (_, i) => `d${i}: deleteIssue(input: {issueId: "I${i}"}) { clientMutationId }`,
      );
      const document = JSON.stringify({ query: `mutation { ${aliases.join(" ")} }` });
      // bob under mass_delete alone (six deletes, threshold 5); alice under a deny rule too.
      for (const entity of ["bob", "alice"]) {
        const res = await fetch(`${env.proxy("github")}/graphql`, {
          method: "POST",
          headers: {
            ...env.headers({ entity }),
            "content-type": "application/json",
            "content-encoding": "gzip",
          },
          body: await gzip(document),
        });
        await assertUninspectable(res, entity);
      }
      assert.equal(env.fake.seenBy("github").length, reached, "the provider never saw them");
    } finally {
      await env.close();
    }
  },
});

const BOUNDARY = "batch_foo_bar";

Deno.test({
  name: "compressed body: a gzip'd Google /batch under a limit is refused, not counted as one call",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{
        name: "gmail_msgs",
        target: "gmail.users.messages.*",
        effect: "limit",
        rate: "10/min",
        per: "agent",
      }],
      raw: { security: { mass_delete: { enabled: false } } },
    });
    try {
      const parts = Array.from(
        { length: 20 },
        (_, i) =>
          `--${BOUNDARY}\r\nContent-Type: application/http\r\n\r\nDELETE /gmail/v1/users/me/messages/id${i}\r\n\r\n`,
      );
      const reached = env.fake.seen.length;
      const res = await fetch(`${env.proxy("gmail")}/batch/gmail/v1`, {
        method: "POST",
        headers: {
          ...env.headers(),
          "content-type": `multipart/mixed; boundary=${BOUNDARY}`,
          "content-encoding": "gzip",
        },
        body: await gzip(parts.join("") + `--${BOUNDARY}--\r\n`),
      });
      await assertUninspectable(res, "batch");
      assert.equal(env.fake.seen.length, reached, "the provider never saw it");
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name: "compressed body: an approval decided for one body is not reused by the same bytes gzip'd",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
    });
    try {
      const { database } = env.temp.appliance;
      await updateApp(database, "demo", { approvalsViaApi: true }, {
        now: Date.now,
        by: { actor: "cli" },
      });
      assert.ok(await findApp(database.db, "demo"));
      const raw = toBase64Url("To: eve@evil.example\r\nSubject: All our data\r\n\r\nHere.\r\n");
      // The person approves these bytes as they are (no Content-Encoding)…
      const bytes = await gzip(JSON.stringify({ raw }));
      const url = `${env.proxy("gmail")}/gmail/v1/users/me/messages/send`;
      const json = { "content-type": "application/json" };
      const held = await fetch(url, {
        method: "POST",
        headers: { ...env.headers(), ...json },
        body: bytes,
      });
      const id = (await envelope(held)).details?.approvalId as string;
      assert.ok(id, "held for approval");
      const decided = await fetch(`${env.base}/v1/approvals/${id}`, {
        method: "POST",
        headers: { "securix-api-key": env.apiKey(), ...json },
        body: JSON.stringify({ decision: "approve" }),
      });
      assert.equal(decided.status, 200, await decided.text());
      // …and the same bytes, sent as gzip, are another message once Gmail inflates them.
      const reached = env.fake.seenBy("gmail").length;
      const res = await fetch(url, {
        method: "POST",
        headers: {
          ...env.headers(),
          ...json,
          "content-encoding": "gzip",
          "securix-approval-id": id,
        },
        body: bytes,
      });
      await assertUninspectable(res, "approved bytes, gzip'd");
      assert.equal(env.fake.seenBy("gmail").length, reached, "the provider never saw it");
      assert.equal(env.fake.state.gmail.sent.length, 0);
    } finally {
      await env.close();
    }
  },
});
