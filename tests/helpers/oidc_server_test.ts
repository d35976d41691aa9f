import assert from "node:assert/strict";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { type OidcServer, startOidcServer } from "./oidc_server.ts";

// These tests use plain fetch, not our OAuth adapter, so the helper is proven
// on its own before the adapter's tests rely on it.

const REDIRECT = "http://127.0.0.1:9/callback";
const CLIENT = { clientId: "app", clientSecret: "app-secret", redirectUris: [REDIRECT] };
const VERIFIER = "v".repeat(43);

function challenge(verifier: string): string {
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(verifier)));
}

function authUrl(server: OidcServer, extra: Record<string, string> = {}): URL {
  const url = new URL(server.authorizationUrl);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT,
    scope: "openid email profile",
    state: "state-1",
    code_challenge: challenge(VERIFIER),
    code_challenge_method: "S256",
    ...extra,
  }).toString();
  return url;
}

async function token(server: OidcServer, params: Record<string, string>) {
  const response = await fetch(server.tokenUrl, {
    method: "POST",
    headers: {
      authorization: `Basic ${encodeBase64(new TextEncoder().encode("app:app-secret"))}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(params),
  });
  return { status: response.status, json: await response.json() };
}

async function codeFor(server: OidcServer, accountId = "alice"): Promise<string> {
  const redirected = await server.loginAndConsent(authUrl(server), { accountId });
  assert.equal(redirected.origin + redirected.pathname, REDIRECT);
  assert.equal(redirected.searchParams.get("state"), "state-1");
  const code = redirected.searchParams.get("code");
  assert.ok(code, `no code in ${redirected.search}`);
  return code;
}

async function withServer(
  options: Partial<Parameters<typeof startOidcServer>[0]>,
  fn: (server: OidcServer) => Promise<void>,
): Promise<void> {
  const server = await startOidcServer({ clients: [CLIENT], ...options });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

Deno.test("oidc server: listens on 127.0.0.1 and serves discovery for its issuer", async () => {
  await withServer({}, async (server) => {
    assert.match(server.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(server.issuer, `http://127.0.0.1:${server.port}`);
    const doc = await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json();
    assert.equal(doc.issuer, server.issuer);
    assert.equal(doc.authorization_endpoint, server.authorizationUrl);
    assert.equal(doc.token_endpoint, server.tokenUrl);
    assert.equal(doc.userinfo_endpoint, server.userinfoUrl);
    assert.equal(doc.revocation_endpoint, server.revocationUrl);
    assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);
  });
});

Deno.test("oidc server: login and consent, code + PKCE exchange, userinfo, stats", async () => {
  await withServer({ accessTokenTtl: 30 }, async (server) => {
    const code = await codeFor(server, "bob");
    const wrongVerifier = await token(server, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: "w".repeat(43),
    });
    assert.equal(wrongVerifier.status, 400);
    assert.equal(wrongVerifier.json.error, "invalid_grant");

    const code2 = await codeFor(server, "bob");
    const tokens = await token(server, {
      grant_type: "authorization_code",
      code: code2,
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.json));
    assert.equal(tokens.json.expires_in, 30);
    assert.equal(typeof tokens.json.refresh_token, "string");
    const info = await fetch(server.userinfoUrl, {
      headers: { authorization: `Bearer ${tokens.json.access_token}` },
    });
    assert.deepEqual(await info.json(), {
      sub: "bob",
      email: "bob@example.test",
      email_verified: true,
      name: "Test bob",
    });
    assert.deepEqual(server.stats.tokenCalls, { authorization_code: 2 });
    assert.deepEqual(server.stats.tokenErrors, { authorization_code: 1 });
    assert.equal(server.stats.userinfoCalls, 1);
    server.stats.reset();
    assert.deepEqual(server.stats.tokenCalls, {});
  });
});

Deno.test("oidc server: PKCE is required unless turned off", async () => {
  await withServer({}, async (server) => {
    const url = authUrl(server);
    url.searchParams.delete("code_challenge");
    url.searchParams.delete("code_challenge_method");
    const redirected = await server.loginAndConsent(url, { accountId: "alice" });
    assert.equal(redirected.searchParams.get("error"), "invalid_request");
    assert.equal(redirected.searchParams.get("code"), null);
  });
  await withServer({ requirePkce: false }, async (server) => {
    const url = authUrl(server);
    url.searchParams.delete("code_challenge");
    url.searchParams.delete("code_challenge_method");
    const redirected = await server.loginAndConsent(url, { accountId: "alice" });
    assert.ok(redirected.searchParams.get("code"));
  });
});

Deno.test("oidc server: refresh tokens are reusable, or rotate when asked", async () => {
  for (const rotate of [false, true]) {
    await withServer({ rotateRefreshTokens: rotate }, async (server) => {
      const first = await token(server, {
        grant_type: "authorization_code",
        code: await codeFor(server),
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
      });
      const refresh = first.json.refresh_token as string;
      const second = await token(server, { grant_type: "refresh_token", refresh_token: refresh });
      assert.equal(second.status, 200);
      assert.equal(second.json.refresh_token !== refresh, rotate, "rotation");
      const again = await token(server, { grant_type: "refresh_token", refresh_token: refresh });
      // A rotated-out refresh token is dead (and, per OAuth security BCP, kills the grant).
      assert.equal(again.status, rotate ? 400 : 200, `rotate=${rotate}`);
      if (rotate) assert.equal(again.json.error, "invalid_grant");
      assert.equal(server.stats.tokenCalls.refresh_token, 2);
    });
  }
});

Deno.test("oidc server: revoking the refresh token ends the grant", async () => {
  await withServer({}, async (server) => {
    const tokens = await token(server, {
      grant_type: "authorization_code",
      code: await codeFor(server),
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
    });
    const revoked = await fetch(server.revocationUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${encodeBase64(new TextEncoder().encode("app:app-secret"))}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ token: tokens.json.refresh_token }),
    });
    assert.equal(revoked.status, 200);
    await revoked.body?.cancel();
    assert.equal(server.stats.revocationCalls, 1);
    const refreshed = await token(server, {
      grant_type: "refresh_token",
      refresh_token: tokens.json.refresh_token,
    });
    assert.equal(refreshed.json.error, "invalid_grant");
    const info = await fetch(server.userinfoUrl, {
      headers: { authorization: `Bearer ${tokens.json.access_token}` },
    });
    assert.equal(info.status, 401);
    await info.body?.cancel();
  });
});

Deno.test("oidc server: loginAndConsent refuses a redirect URI the client did not register", async () => {
  await withServer({}, async (server) => {
    const url = authUrl(server, { redirect_uri: "http://127.0.0.1:9/elsewhere" });
    await assert.rejects(
      () => server.loginAndConsent(url, { accountId: "alice" }),
      /answered 400/,
    );
  });
});

Deno.test("oidc server: a short access token TTL really expires the token", async () => {
  await withServer({ accessTokenTtl: 1 }, async (server) => {
    const tokens = await token(server, {
      grant_type: "authorization_code",
      code: await codeFor(server),
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
    });
    assert.equal(tokens.json.expires_in, 1);
    // Expiry is checked in whole seconds: wait past the next second boundary.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const expired = await fetch(server.userinfoUrl, {
      headers: { authorization: `Bearer ${tokens.json.access_token}` },
    });
    assert.equal(expired.status, 401);
    await expired.body?.cancel();
    const refreshed = await token(server, {
      grant_type: "refresh_token",
      refresh_token: tokens.json.refresh_token,
    });
    const fresh = await fetch(server.userinfoUrl, {
      headers: { authorization: `Bearer ${refreshed.json.access_token}` },
    });
    assert.equal(fresh.status, 200);
    await fresh.body?.cancel();
  });
});
