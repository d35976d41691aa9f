import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { type OidcServer, startOidcServer } from "../../tests/helpers/oidc_server.ts";
import { fetchAccountIdentity } from "./account_identity.ts";
import { OAuthClient } from "./oauth_client.ts";
import { isInvalidGrant } from "./provider_errors.ts";
import { wireProviders } from "./provider_registry.ts";
import { resolveTables } from "./test_util.ts";

// End to end against a real authorization server (oidc-provider): our adapter
// must interoperate with someone else's implementation of the RFCs.

const REDIRECT = "http://127.0.0.1:9/oauth/callback";
const VERIFIER = "verifier-".repeat(6);
const NOW = 1_800_000_000_000;

async function withServer(
  options: { rotateRefreshTokens?: boolean; requirePkce?: boolean; post?: boolean },
  fn: (server: OidcServer) => Promise<void>,
): Promise<void> {
  const server = await startOidcServer({
    clients: [{
      clientId: "securix",
      // TEST_SOURCES resolves env:TEST_SECRET to this value.
      clientSecret: "s3cret-from-env",
      redirectUris: [REDIRECT],
      tokenEndpointAuthMethod: options.post ? "client_secret_post" : "client_secret_basic",
    }],
    accessTokenTtl: 120,
    rotateRefreshTokens: options.rotateRefreshTokens,
    requirePkce: options.requirePkce,
  });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function overrides(server: OidcServer) {
  return {
    client_id: "securix",
    client_secret: "env:TEST_SECRET",
    authorization_url: server.authorizationUrl,
    token_url: server.tokenUrl,
    userinfo_url: server.userinfoUrl,
    revocation_url: server.revocationUrl,
    api_base_url: `${server.issuer}/api`,
  };
}

async function consent(server: OidcServer, url: URL, state: string): Promise<string> {
  const back = await server.loginAndConsent(url, { accountId: "alice" });
  assert.equal(back.origin + back.pathname, REDIRECT);
  assert.equal(back.searchParams.get("state"), state);
  const code = back.searchParams.get("code");
  assert.ok(code, `no code: ${back.search}`);
  return code;
}

Deno.test("oidc e2e: a catalog provider (gmail) pointed at another server by overrides", async () => {
  await withServer({}, async (server) => {
    const providers = await resolveTables({
      gmail: { ...overrides(server), default_scopes: ["profile"] },
    });
    const gmail = providers.enabled.get("gmail")!;
    const client = new OAuthClient(gmail, { now: () => NOW });
    const url = client.authorizationUrl({
      state: "state-gmail",
      codeVerifier: VERIFIER,
      scopes: [],
      redirectUri: REDIRECT,
    });
    assert.equal(url.searchParams.get("access_type"), "offline");
    const code = await consent(server, url, "state-gmail");

    const tokens = await client.exchangeCode({
      code,
      codeVerifier: VERIFIER,
      redirectUri: REDIRECT,
    });
    assert.equal(tokens.tokenType, "Bearer");
    assert.equal(tokens.expiresAt, NOW + 120_000);
    assert.ok(tokens.refreshToken);
    assert.ok(tokens.idToken);
    assert.deepEqual(tokens.scopes?.toSorted(), ["email", "openid", "profile"]);

    assert.deepEqual(await fetchAccountIdentity(gmail, tokens.accessToken), {
      id: "alice",
      email: "alice@example.test",
      name: "Test alice",
    });

    const refreshed = await client.refresh(tokens.refreshToken);
    assert.notEqual(refreshed.accessToken, tokens.accessToken);
    assert.equal((await fetchAccountIdentity(gmail, refreshed.accessToken))?.id, "alice");

    await client.revokeTokens({
      accessToken: refreshed.accessToken,
      refreshToken: refreshed.refreshToken ?? tokens.refreshToken,
    });
    const dead = await client.refresh(tokens.refreshToken).then(() => null, (e) => e);
    assert.ok(isInvalidGrant(dead), `expected invalid_grant, got ${dead}`);
    const gone = await fetchAccountIdentity(gmail, refreshed.accessToken).then(
      () => null,
      (e) => e,
    );
    assert.equal((gone as SecurixError)?.code, "SX-PROVIDER-BAD-RESPONSE");
    assert.match((gone as SecurixError).message, /answered HTTP 401/);

    // The code is single-use; a second exchange is a typed OAuth error without the code in it.
    const replay = await client.exchangeCode({
      code,
      codeVerifier: VERIFIER,
      redirectUri: REDIRECT,
    })
      .then(() => null, (e) => e as SecurixError);
    assert.equal(replay?.code, "SX-PROVIDER-TOKEN-ERROR");
    assert.equal(replay?.details?.oauthError, "invalid_grant");
    assert.ok(!replay?.message.includes(code));

    assert.deepEqual(server.stats.tokenCalls, { authorization_code: 2, refresh_token: 2 });
    assert.deepEqual(server.stats.tokenErrors, { authorization_code: 1, refresh_token: 1 });
    assert.equal(server.stats.revocationCalls, 1);
  });
});

Deno.test('oidc e2e: a kind="oidc" provider through discovery, via the flow and refresh views', async () => {
  await withServer({ rotateRefreshTokens: true }, async (server) => {
    const providers = await resolveTables({
      corp: {
        kind: "oidc",
        issuer: server.issuer,
        client_id: "securix",
        client_secret: "env:TEST_SECRET",
        api_base_url: "https://api.corp.example",
        scopes: ["email", "profile", "offline_access"],
      },
    });
    const corp = providers.enabled.get("corp")!;
    assert.equal(corp.oauth.tokenUrl, server.tokenUrl, "from discovery");
    assert.equal(corp.oauth.pkce, true, "discovery says S256");
    assert.equal(corp.identity?.url, server.userinfoUrl);
    const wiring = wireProviders(providers, { now: () => NOW });
    const flow = wiring.registry.enabled.get("corp")!;
    assert.equal(flow.authorizationOrigin, server.issuer);
    assert.equal(wiring.routes.get("corp")?.baseUrl.href, "https://api.corp.example/");

    const url = await flow.authorizationUrl({
      state: "state-corp",
      codeVerifier: VERIFIER,
      scopes: ["email"],
      redirectUri: REDIRECT,
    });
    // The issuer offers offline_access and the allowlist has it: asked for, with consent.
    assert.equal(url.searchParams.get("scope"), "email openid offline_access");
    assert.equal(url.searchParams.get("prompt"), "consent");
    const code = await consent(server, url, "state-corp");
    const tokens = await flow.exchangeCode({ code, codeVerifier: VERIFIER, redirectUri: REDIRECT });
    assert.deepEqual(await flow.fetchAccount(tokens.accessToken), {
      id: "alice",
      email: "alice@example.test",
      name: null,
    });

    const refresher = wiring.refresherFor("corp")!;
    const rotated = await refresher.refresh(tokens.refreshToken!);
    assert.ok(rotated.refreshToken && rotated.refreshToken !== tokens.refreshToken);
    const reused = await refresher.refresh(tokens.refreshToken!).then(() => null, (e) => e);
    assert.ok(refresher.isInvalidGrant(reused), "a rotated-out refresh token is a dead grant");
    assert.equal(server.stats.tokenCalls.refresh_token, 2);
  });
});

Deno.test("oidc e2e: client_secret_post without PKCE (Atlassian's way) against the real server", async () => {
  await withServer({ post: true, requirePkce: false }, async (server) => {
    const providers = await resolveTables({ atlassian: overrides(server) });
    const atlassian = providers.enabled.get("atlassian")!;
    const client = new OAuthClient(atlassian);
    const url = client.authorizationUrl({
      state: "s-atl",
      codeVerifier: VERIFIER,
      scopes: ["openid", "email"],
      redirectUri: REDIRECT,
    });
    assert.equal(url.searchParams.get("code_challenge"), null);
    const code = await consent(server, url, "s-atl");
    const tokens = await client.exchangeCode({
      code,
      codeVerifier: VERIFIER,
      redirectUri: REDIRECT,
    });
    assert.ok(tokens.refreshToken);
    assert.ok((await client.refresh(tokens.refreshToken)).accessToken);
    // The server's userinfo is not Atlassian's /me: no account_id, so no identity.
    const identity = await fetchAccountIdentity(atlassian, tokens.accessToken).then(
      () => null,
      (e) => e as SecurixError,
    );
    assert.equal(identity?.code, "SX-PROVIDER-BAD-RESPONSE");
    assert.match(identity!.message, /did not name an account/);
  });
});

Deno.test("oidc e2e: the wrong client secret is refused as invalid_client, secret not echoed", async () => {
  await withServer({}, async (server) => {
    const providers = await resolveTables({
      gitlab: { ...overrides(server), client_secret: "wrong-secret-VALUE" },
    });
    const client = new OAuthClient(providers.enabled.get("gitlab")!);
    const error = await client.refresh("not-a-refresh-token").then(() => null, (e) => e);
    assert.equal((error as SecurixError).code, "SX-PROVIDER-TOKEN-ERROR");
    assert.equal((error as SecurixError).details?.oauthError, "invalid_client");
    assert.ok(
      !JSON.stringify({ m: error.message, d: error.details }).includes("wrong-secret-VALUE"),
    );
    assert.equal(isInvalidGrant(error), false);
  });
});
