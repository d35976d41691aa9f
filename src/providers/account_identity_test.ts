import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { fetchAccountIdentity } from "./account_identity.ts";
import { json, resolveOne, scriptedFetch } from "./test_util.ts";

const CREDS = { client_id: "cid", client_secret: "secret" };
const TOKEN = "access-TOKEN-value";

Deno.test("identity: GET with the bearer token, User-Agent and the provider's default headers", async () => {
  const notion = await resolveOne("notion", CREDS);
  const fetch = scriptedFetch(
    json({ id: "bot", name: "B", bot: { owner: { user: { id: "u" } } } }),
  );
  const identity = await fetchAccountIdentity(notion, TOKEN, { fetch });
  assert.deepEqual(identity, { id: "u", email: null, name: null });
  const [sent] = fetch.sent;
  assert.equal(sent.url, "https://api.notion.com/v1/users/me");
  assert.equal(sent.method, "GET");
  assert.equal(sent.headers.get("authorization"), `Bearer ${TOKEN}`);
  assert.equal(sent.headers.get("notion-version"), "2022-06-28");
  assert.equal(sent.headers.get("user-agent"), "securix");
  assert.equal(sent.redirect, "manual");
});

Deno.test("identity: Linear is a GraphQL POST; Dropbox a POST without a body", async () => {
  const linear = await resolveOne("linear", CREDS);
  const linearFetch = scriptedFetch(
    json({ data: { viewer: { id: "l1", name: "Ann", email: null } } }),
  );
  assert.equal((await fetchAccountIdentity(linear, TOKEN, { fetch: linearFetch }))?.id, "l1");
  assert.equal(linearFetch.sent[0].method, "POST");
  assert.equal(linearFetch.sent[0].headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(linearFetch.sent[0].body), { query: "{ viewer { id name email } }" });

  const dropbox = await resolveOne("dropbox", CREDS);
  const dropboxFetch = scriptedFetch(json({ account_id: "dbid:1", email: "a@b.c", name: null }));
  assert.equal((await fetchAccountIdentity(dropbox, TOKEN, { fetch: dropboxFetch }))?.id, "dbid:1");
  assert.equal(dropboxFetch.sent[0].method, "POST");
  assert.equal(dropboxFetch.sent[0].body, "");
  assert.equal(dropboxFetch.sent[0].headers.get("content-type"), null);
});

Deno.test("identity: failures are typed and never carry the token", async () => {
  const github = await resolveOne("github", CREDS);
  const cases: [Response, RegExp][] = [
    [
      json({ message: "Bad credentials" }, 401),
      /https:\/\/api\.github\.com\/user answered HTTP 401/,
    ],
    [json({ login: "no-id" }), /did not name an account/],
    [new Response("<html>"), /did not name an account/],
  ];
  for (const [reply, message] of cases) {
    const error = await fetchAccountIdentity(github, TOKEN, { fetch: scriptedFetch(reply) })
      .then(() => null, (e) => e as SecurixError);
    assert.equal(error?.code, "SX-PROVIDER-BAD-RESPONSE");
    assert.match(error!.message, message);
    assert.ok(!error!.message.includes(TOKEN));
    assert.match(error!.message, /^Cannot read the connected account for "github": /);
  }
});

Deno.test("identity: a custom OAuth2 provider without a userinfo URL has no identity", async () => {
  const legacy = await resolveOne("legacy", {
    kind: "oauth2",
    client_id: "x",
    authorization_url: "https://l.example/a",
    token_url: "https://l.example/t",
    api_base_url: "https://l.example/api",
  });
  const fetch = scriptedFetch();
  assert.equal(await fetchAccountIdentity(legacy, TOKEN, { fetch }), null);
  assert.equal(fetch.sent.length, 0);
});
