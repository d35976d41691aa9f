import assert from "node:assert/strict";
import { sha256 } from "@oslojs/crypto/sha2";
import { decodeBase64, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { SecurixError } from "../errors/securix_error.ts";
import { OAuthClient } from "./oauth_client.ts";
import { isInvalidGrant } from "./provider_errors.ts";
import { json, resolveOne, scriptedFetch } from "./test_util.ts";

const VERIFIER = "A".repeat(20) + "b".repeat(23);
const REDIRECT = "https://securix.example.com/oauth/callback";
const NOW = 1_700_000_000_000;
const ACCESS = "at-SENSITIVE-1";
const REFRESH = "rt-SENSITIVE-2";
const SECRET = "cs-SENSITIVE-3";

async function client(
  name: string,
  table: Record<string, unknown> = {},
  fetch?: typeof globalThis.fetch,
) {
  const provider = await resolveOne(name, { client_id: "cid", client_secret: SECRET, ...table });
  return new OAuthClient(provider, { fetch, now: () => NOW, timeoutMs: 200 });
}

function authUrl(c: OAuthClient, scopes: string[] = []): URL {
  return c.authorizationUrl({ state: "st", codeVerifier: VERIFIER, scopes, redirectUri: REDIRECT });
}

/** Nothing sensitive may appear in anything an error exposes. */
function assertNoSecrets(
  error: unknown,
  secrets: string[] = [ACCESS, REFRESH, SECRET, "the-code"],
) {
  const sx = error as SecurixError;
  const exposed = [sx.message, JSON.stringify(sx.details), String(sx.llmError), String(sx.cause)]
    .join("\n");
  for (const secret of secrets) {
    assert.ok(!exposed.includes(secret), `${secret} leaked: ${exposed}`);
  }
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<SecurixError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SecurixError, `not a SecurixError: ${error}`);
    assert.equal(error.code, code, error.message);
    assertNoSecrets(error);
    return error;
  }
  throw new assert.AssertionError({ message: `expected ${code}, got success` });
}

Deno.test("authorizationUrl: Google gets PKCE S256, offline access and identity scopes", async () => {
  const url = authUrl(await client("gmail"));
  assert.equal(url.origin + url.pathname, "https://accounts.google.com/o/oauth2/v2/auth");
  const p = url.searchParams;
  assert.equal(p.get("response_type"), "code");
  assert.equal(p.get("client_id"), "cid");
  assert.equal(p.get("redirect_uri"), REDIRECT);
  assert.equal(p.get("state"), "st");
  assert.equal(p.get("code_challenge_method"), "S256");
  const expected = encodeBase64urlNoPadding(sha256(new TextEncoder().encode(VERIFIER)));
  assert.equal(p.get("code_challenge"), expected);
  assert.equal(p.get("access_type"), "offline");
  assert.equal(p.get("prompt"), "consent");
  assert.equal(p.get("include_granted_scopes"), null);
  assert.equal(
    p.get("scope"),
    "https://www.googleapis.com/auth/gmail.readonly openid email",
    "defaults when none asked, plus the identity scopes",
  );
  assert.equal(url.toString().includes(SECRET), false);
});

Deno.test("authorizationUrl: authorization_params are added and override the catalog's extras", async () => {
  const url = authUrl(
    await client("gmail", {
      authorization_params: { prompt: "select_account", hd: "corp.example" },
    }),
  );
  const p = url.searchParams;
  assert.equal(p.get("prompt"), "select_account", "the operator's value wins");
  assert.equal(p.get("hd"), "corp.example");
  assert.equal(p.get("access_type"), "offline", "the catalog's other extras stay");
  assert.equal(p.get("state"), "st");
  assert.equal(p.get("client_id"), "cid");
});

Deno.test("authorizationUrl: extra parameters never replace the flow's own, whatever their source", async () => {
  // The config refuses these names; a definition that carried them anyway must not win either.
  const provider = await resolveOne("gmail", { client_id: "cid", client_secret: SECRET });
  const hostile = new OAuthClient({
    ...provider,
    oauth: {
      ...provider.oauth,
      extraAuthorizationParams: {
        ...provider.oauth.extraAuthorizationParams,
        state: "attacker",
        redirect_uri: "https://evil.example/cb",
        Client_ID: "other",
        code_challenge: "x",
        scope: "everything",
      },
    },
  });
  const url = authUrl(hostile, ["email"]);
  const p = url.searchParams;
  assert.equal(p.get("state"), "st");
  assert.equal(p.get("redirect_uri"), REDIRECT);
  assert.equal(p.get("client_id"), "cid");
  assert.equal(p.has("Client_ID"), false);
  assert.notEqual(p.get("code_challenge"), "x");
  assert.doesNotMatch(p.get("scope")!, /everything/);
  assert.equal(p.get("access_type"), "offline", "the ordinary extras still apply");
});

Deno.test("authorizationUrl: Slack user scopes comma-separated in user_scope, no PKCE", async () => {
  const url = authUrl(await client("slack"), ["channels:read", "chat:write"]);
  assert.equal(url.searchParams.get("user_scope"), "channels:read,chat:write");
  assert.equal(url.searchParams.get("scope"), null);
  assert.equal(url.searchParams.get("code_challenge"), null);
});

Deno.test("authorizationUrl: Linear commas, Notion owner=user without scopes, Atlassian audience", async () => {
  assert.equal(
    authUrl(await client("linear"), ["read", "write"]).searchParams.get("scope"),
    "read,write",
  );
  const notion = authUrl(await client("notion"));
  assert.equal(notion.searchParams.get("owner"), "user");
  assert.equal(notion.searchParams.has("scope"), false);
  const atlassian = authUrl(await client("atlassian"), ["read:jira-work"]).searchParams;
  assert.equal(atlassian.get("audience"), "api.atlassian.com");
  assert.equal(atlassian.get("scope"), "read:jira-work offline_access read:me");
});

Deno.test("authorizationUrl: the allowlist is enforced; always-scopes are exempt", async () => {
  const c = await client("gmail", { scopes: ["https://www.googleapis.com/auth/gmail.send"] });
  const error = (() => {
    try {
      authUrl(c, ["https://mail.google.com/"]);
    } catch (e) {
      return e as SecurixError;
    }
  })();
  assert.equal(error?.code, "SX-SCOPE-NOT-ALLOWED");
  assert.deepEqual(error?.details?.scopes, ["https://mail.google.com/"]);
  // No default is permitted by the allowlist, so the allowlist is the default.
  assert.equal(
    authUrl(c).searchParams.get("scope"),
    "https://www.googleapis.com/auth/gmail.send openid email",
  );
  assert.throws(() => authUrl(c, ["a b"]), /Scopes not allowed/);
  const linear = await client("linear");
  assert.throws(
    () => authUrl(linear, ["read,write"]),
    /Scopes not allowed/,
    "separator inside a scope",
  );
});

Deno.test("authorizationUrl: a malformed PKCE verifier is a programming error", async () => {
  const c = await client("github");
  assert.throws(
    () =>
      c.authorizationUrl({ state: "s", codeVerifier: "short", scopes: [], redirectUri: REDIRECT }),
    TypeError,
  );
});

Deno.test("exchangeCode: Basic client auth (form-encoded parts), PKCE verifier, normalised tokens", async () => {
  const fetch = scriptedFetch(json({
    access_token: ACCESS,
    token_type: "Bearer",
    expires_in: "3599",
    refresh_token: REFRESH,
    scope: "openid https://www.googleapis.com/auth/gmail.readonly",
    id_token: "idt",
  }));
  const c = await client("gmail", { client_id: "id:with space" }, fetch);
  const tokens = await c.exchangeCode({
    code: "the-code",
    codeVerifier: VERIFIER,
    redirectUri: REDIRECT,
  });
  assert.deepEqual(tokens, {
    accessToken: ACCESS,
    refreshToken: REFRESH,
    expiresAt: NOW + 3599_000,
    scopes: ["openid", "https://www.googleapis.com/auth/gmail.readonly"],
    tokenType: "Bearer",
    idToken: "idt",
  });
  const [sent] = fetch.sent;
  assert.equal(sent.url, "https://oauth2.googleapis.com/token");
  assert.equal(sent.method, "POST");
  assert.equal(sent.redirect, "manual");
  assert.ok(sent.signal, "every request carries a deadline");
  const basic = sent.headers.get("authorization")?.replace(/^Basic /, "") ?? "";
  assert.equal(new TextDecoder().decode(decodeBase64(basic)), `id%3Awith+space:${SECRET}`);
  const body = new URLSearchParams(sent.body);
  assert.deepEqual(Object.fromEntries(body), {
    grant_type: "authorization_code",
    code: "the-code",
    redirect_uri: REDIRECT,
    code_verifier: VERIFIER,
  });
});

Deno.test("exchangeCode: client_secret_post for Atlassian, no verifier without PKCE", async () => {
  const fetch = scriptedFetch(json({ access_token: ACCESS, token_type: "bearer" }));
  const c = await client("atlassian", {}, fetch);
  const tokens = await c.exchangeCode({
    code: "the-code",
    codeVerifier: VERIFIER,
    redirectUri: REDIRECT,
  });
  assert.equal(tokens.tokenType, "Bearer");
  assert.equal(tokens.expiresAt, null);
  assert.equal(tokens.refreshToken, null);
  assert.equal(tokens.scopes, null);
  const [sent] = fetch.sent;
  assert.equal(sent.headers.get("authorization"), null);
  const body = new URLSearchParams(sent.body);
  assert.equal(body.get("client_id"), "cid");
  assert.equal(body.get("client_secret"), SECRET);
  assert.equal(body.get("code_verifier"), null);
});

Deno.test("exchangeCode: GitHub's 200-with-error is a token error; its comma scopes are split", async () => {
  const failing = scriptedFetch(json({
    error: "bad_verification_code",
    error_description: "The code passed is incorrect or expired.",
  }));
  const error = await rejectsWith(
    (await client("github", {}, failing)).exchangeCode({
      code: "the-code",
      codeVerifier: VERIFIER,
      redirectUri: REDIRECT,
    }),
    "SX-PROVIDER-TOKEN-ERROR",
  );
  assert.equal(error.details?.oauthError, "bad_verification_code");
  assert.equal(error.status, 502);
  assert.equal(failing.sent[0].headers.get("accept"), "application/json");
  assert.equal(failing.sent[0].headers.get("user-agent"), "securix");

  const ok = scriptedFetch(
    json({ access_token: ACCESS, token_type: "bearer", scope: "repo,gist" }),
  );
  const tokens = await (await client("github", {}, ok)).exchangeCode({
    code: "c",
    codeVerifier: VERIFIER,
    redirectUri: REDIRECT,
  });
  assert.deepEqual(tokens.scopes, ["repo", "gist"]);
});

Deno.test("exchangeCode: Slack's user token is read from authed_user; ok:false is a token error", async () => {
  const ok = scriptedFetch(json({
    ok: true,
    access_token: "xoxb-BOT-TOKEN",
    token_type: "bot",
    authed_user: {
      id: "U1",
      scope: "channels:read,chat:write",
      access_token: ACCESS,
      token_type: "user",
      refresh_token: REFRESH,
      expires_in: 43200,
    },
  }));
  const tokens = await (await client("slack", {}, ok)).exchangeCode({
    code: "c",
    codeVerifier: VERIFIER,
    redirectUri: REDIRECT,
  });
  assert.equal(tokens.accessToken, ACCESS, "the user token, not the bot token");
  assert.equal(tokens.refreshToken, REFRESH);
  assert.equal(tokens.expiresAt, NOW + 43_200_000);
  assert.deepEqual(tokens.scopes, ["channels:read", "chat:write"]);
  assert.equal(tokens.tokenType, "Bearer");

  const failing = scriptedFetch(json({ ok: false, error: "invalid_code" }));
  const error = await rejectsWith(
    (await client("slack", {}, failing)).exchangeCode({
      code: "the-code",
      codeVerifier: VERIFIER,
      redirectUri: REDIRECT,
    }),
    "SX-PROVIDER-TOKEN-ERROR",
  );
  assert.equal(error.details?.oauthError, "invalid_code");

  const botOnly = scriptedFetch(
    json({ ok: true, access_token: "xoxb-BOT", authed_user: { id: "U1" } }),
  );
  await rejectsWith(
    (await client("slack", {}, botOnly)).exchangeCode({
      code: "c",
      codeVerifier: VERIFIER,
      redirectUri: REDIRECT,
    }),
    "SX-PROVIDER-BAD-RESPONSE",
  );
});

Deno.test("exchangeCode: garbage answers are bad responses that quote nothing", async () => {
  const cases: [Response, RegExp][] = [
    [new Response(`<html>${ACCESS}</html>`, { status: 200 }), /did not answer with JSON/],
    [new Response(`oops ${REFRESH}`, { status: 500 }), /answered HTTP 500/],
    [json({ token: ACCESS, refresh_token: REFRESH }), /not a valid token response/],
    [json({ access_token: ACCESS, expires_in: -5 }), /not a valid token response/],
    [
      new Response(null, { status: 302, headers: { location: "https://evil.example" } }),
      /HTTP 302/,
    ],
    [json({ error: { message: ACCESS } }, 400), /answered HTTP 400/],
  ];
  for (const [response, message] of cases) {
    const c = await client("gitlab", {}, scriptedFetch(response));
    const error = await rejectsWith(
      c.exchangeCode({ code: "the-code", codeVerifier: VERIFIER, redirectUri: REDIRECT }),
      "SX-PROVIDER-BAD-RESPONSE",
    );
    assert.match(error.message, message);
    assert.match(error.message, /^Cannot exchange the authorization code for "gitlab": /);
  }
});

Deno.test("exchangeCode: an OAuth error code that looks like data is not echoed", async () => {
  const c = await client("gitlab", {}, scriptedFetch(json({ error: `${ACCESS} <script>` }, 400)));
  const error = await rejectsWith(
    c.exchangeCode({ code: "the-code", codeVerifier: VERIFIER, redirectUri: REDIRECT }),
    "SX-PROVIDER-TOKEN-ERROR",
  );
  assert.match(error.message, /provider returned an unrecognised error$/);
});

Deno.test("exchangeCode: network failure and timeout are typed and bounded", async () => {
  const refused = await client(
    "gitlab",
    {},
    scriptedFetch(() => {
      throw new TypeError(`connection refused while sending ${SECRET}`);
    }),
  );
  const down = await rejectsWith(
    refused.exchangeCode({ code: "the-code", codeVerifier: VERIFIER, redirectUri: REDIRECT }),
    "SX-PROVIDER-UNREACHABLE",
  );
  assert.match(down.message, /https:\/\/gitlab\.com\/oauth\/token could not be reached/);
  assert.equal(down.cause, undefined);

  // Answers only when aborted: proves the deadline reaches fetch.
  const hanging = await client(
    "gitlab",
    {},
    scriptedFetch((request) =>
      new Promise<Response>((_resolve, reject) => {
        request.signal?.addEventListener("abort", () => reject(request.signal?.reason));
      })
    ),
  );
  const started = performance.now();
  const slow = await rejectsWith(
    hanging.exchangeCode({ code: "the-code", codeVerifier: VERIFIER, redirectUri: REDIRECT }),
    "SX-PROVIDER-UNREACHABLE",
  );
  assert.match(slow.message, /no answer from https:\/\/gitlab\.com\/oauth\/token within 200 ms/);
  assert.ok(performance.now() - started < 2_000);
});

Deno.test("exchangeCode: an oversized answer is cut off", async () => {
  const huge = new Response(
    new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(64 * 1024).fill(32));
      },
    }),
  );
  const c = await client("gitlab", {}, scriptedFetch(huge));
  const error = await rejectsWith(
    c.exchangeCode({ code: "the-code", codeVerifier: VERIFIER, redirectUri: REDIRECT }),
    "SX-PROVIDER-BAD-RESPONSE",
  );
  assert.match(error.message, /more than 1048576 bytes/);
});

Deno.test("refresh: sends the refresh grant; invalid_grant and GitHub's word for it are dead grants", async () => {
  const fetch = scriptedFetch(json({ access_token: ACCESS, token_type: "Bearer", expires_in: 60 }));
  const c = await client("microsoft", {}, fetch);
  const tokens = await c.refresh(REFRESH);
  assert.equal(tokens.refreshToken, null, "not rotated: keep the old one");
  assert.equal(tokens.expiresAt, NOW + 60_000);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(fetch.sent[0].body)), {
    grant_type: "refresh_token",
    refresh_token: REFRESH,
  });

  for (
    const [name, body, dead] of [
      ["microsoft", { error: "invalid_grant", error_description: `AADSTS ${REFRESH}` }, true],
      ["github", { error: "bad_refresh_token" }, true],
      ["gitlab", { error: "invalid_client" }, false],
    ] as const
  ) {
    const failing = await client(
      name,
      {},
      scriptedFetch(json(body, name === "github" ? 200 : 400)),
    );
    const error = await rejectsWith(failing.refresh(REFRESH), "SX-PROVIDER-TOKEN-ERROR");
    assert.equal(isInvalidGrant(error), dead, name);
    assert.match(error.message, /^Cannot refresh the token for /);
  }
  assert.equal(isInvalidGrant(new Error("invalid_grant")), false);
});

Deno.test("refresh: Slack's rotated user token comes back at the top level", async () => {
  const fetch = scriptedFetch(json({
    ok: true,
    access_token: ACCESS,
    token_type: "user",
    refresh_token: REFRESH,
    expires_in: 43200,
  }));
  const tokens = await (await client("slack", {}, fetch)).refresh("old");
  assert.equal(tokens.accessToken, ACCESS);
  assert.equal(tokens.refreshToken, REFRESH);
});

Deno.test("refresh and revoke: unsupported operations say so without calling out", async () => {
  const fetch = scriptedFetch();
  const microsoft = await client("microsoft", {}, fetch);
  assert.equal(microsoft.canRevoke, false);
  await rejectsWith(microsoft.revoke(ACCESS), "SX-PROVIDER-UNSUPPORTED");
  assert.equal(fetch.sent.length, 0);
});

Deno.test("revoke: RFC 7009 with client auth; bearer style; GitHub grant deletion", async () => {
  const google = scriptedFetch(new Response(null, { status: 200 }));
  await (await client("gmail", {}, google)).revokeTokens({
    accessToken: ACCESS,
    refreshToken: REFRESH,
  });
  assert.equal(google.sent[0].url, "https://oauth2.googleapis.com/revoke");
  assert.equal(
    new URLSearchParams(google.sent[0].body).get("token"),
    REFRESH,
    "the grant, not one token",
  );
  assert.match(google.sent[0].headers.get("authorization") ?? "", /^Basic /);

  const dropbox = scriptedFetch(new Response("null", { status: 200 }));
  await (await client("dropbox", {}, dropbox)).revokeTokens({
    accessToken: ACCESS,
    refreshToken: REFRESH,
  });
  assert.equal(dropbox.sent[0].url, "https://api.dropboxapi.com/2/auth/token/revoke");
  assert.equal(dropbox.sent[0].headers.get("authorization"), `Bearer ${ACCESS}`);
  assert.equal(dropbox.sent[0].body, "");

  const github = scriptedFetch(new Response(null, { status: 204 }));
  await (await client("github", { client_id: "Iv1.abc" }, github)).revoke(ACCESS);
  assert.equal(github.sent[0].method, "DELETE");
  assert.equal(github.sent[0].url, "https://api.github.com/applications/Iv1.abc/grant");
  assert.deepEqual(JSON.parse(github.sent[0].body), { access_token: ACCESS });
  assert.match(github.sent[0].headers.get("authorization") ?? "", /^Basic /);
});

Deno.test("revoke: failures are typed (Slack ok:false, RFC 7009 error, unexpected status)", async () => {
  const slack = await client(
    "slack",
    {},
    scriptedFetch(json({ ok: false, error: "invalid_auth" })),
  );
  const e1 = await rejectsWith(slack.revoke(ACCESS), "SX-PROVIDER-TOKEN-ERROR");
  assert.equal(e1.details?.oauthError, "invalid_auth");
  const gitlab = await client(
    "gitlab",
    {},
    scriptedFetch(json({ error: "unsupported_token_type" }, 400)),
  );
  await rejectsWith(gitlab.revoke(REFRESH), "SX-PROVIDER-TOKEN-ERROR");
  const github = await client(
    "github",
    {},
    scriptedFetch(new Response("Not Found", { status: 404 })),
  );
  const e3 = await rejectsWith(github.revoke(ACCESS), "SX-PROVIDER-BAD-RESPONSE");
  assert.match(e3.message, /HTTP 404/);
});

Deno.test("a client with URL overrides talks only to the overridden endpoints", async () => {
  const fetch = scriptedFetch(json({ access_token: ACCESS }), new Response(null, { status: 200 }));
  const c = await client("gmail", {
    authorization_url: "http://127.0.0.1:9999/auth",
    token_url: "http://127.0.0.1:9999/token",
    revocation_url: "http://127.0.0.1:9999/revoke",
  }, fetch);
  assert.equal(authUrl(c).origin, "http://127.0.0.1:9999");
  await c.exchangeCode({ code: "c", codeVerifier: VERIFIER, redirectUri: REDIRECT });
  await c.revoke(ACCESS);
  assert.deepEqual(fetch.sent.map((s) => s.url), [
    "http://127.0.0.1:9999/token",
    "http://127.0.0.1:9999/revoke",
  ]);
});
