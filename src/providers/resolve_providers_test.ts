import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { catalogNames } from "./catalog.ts";
import { json, parseProviders, resolveOne, resolveTables, scriptedFetch } from "./test_util.ts";
import { wireProviders } from "./provider_registry.ts";
import { resolveProviders } from "./resolve_providers.ts";

const CREDS = { client_id: "cid", client_secret: "secret" };
const ISSUER = "https://idp.corp.example/realms/main";

function discovery(overrides: Record<string, unknown> = {}) {
  return {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/protocol/openid-connect/auth`,
    token_endpoint: `${ISSUER}/protocol/openid-connect/token`,
    userinfo_endpoint: `${ISSUER}/protocol/openid-connect/userinfo`,
    revocation_endpoint: `${ISSUER}/protocol/openid-connect/revoke`,
    code_challenge_methods_supported: ["plain", "S256"],
    token_endpoint_auth_methods_supported: ["private_key_jwt", "client_secret_basic"],
    ...overrides,
  };
}

const CORP = {
  kind: "oidc",
  issuer: ISSUER,
  ...CREDS,
  api_base_url: "https://api.corp.example",
};

async function rejection(promise: Promise<unknown>): Promise<SecurixError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SecurixError, String(error));
    return error;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

Deno.test("resolve: catalog overrides replace the endpoints, identity URL and primary API", async () => {
  const dropbox = await resolveOne("dropbox", {
    ...CREDS,
    authorization_url: "http://127.0.0.1:1/auth",
    token_url: "http://127.0.0.1:1/token",
    userinfo_url: "http://127.0.0.1:1/me",
    revocation_url: "http://127.0.0.1:1/revoke",
    api_base_url: "http://127.0.0.1:1/api",
    display_name: "Team Dropbox",
  });
  assert.equal(dropbox.displayName, "Team Dropbox");
  assert.equal(dropbox.oauth.authorizationUrl, "http://127.0.0.1:1/auth");
  assert.equal(dropbox.oauth.tokenUrl, "http://127.0.0.1:1/token");
  assert.deepEqual(dropbox.oauth.revocation, { style: "bearer", url: "http://127.0.0.1:1/revoke" });
  assert.equal(dropbox.identity?.url, "http://127.0.0.1:1/me");
  assert.equal(dropbox.identity?.method, "POST", "how identity is read is kept");
  assert.deepEqual(dropbox.apis, [
    { host: "dropbox", baseUrl: "http://127.0.0.1:1/api" },
    { host: "dropbox-content", baseUrl: "https://content.dropboxapi.com" },
  ]);
  assert.equal(dropbox.client.clientSecret, "secret");
  // A provider without revocation gets RFC 7009 at an overridden URL.
  const microsoft = await resolveOne("microsoft", {
    ...CREDS,
    revocation_url: "https://r.example/x",
  });
  assert.deepEqual(microsoft.oauth.revocation, { style: "rfc7009", url: "https://r.example/x" });
});

Deno.test("resolve: gitlab base_url rebuilds every endpoint; explicit overrides still win", async () => {
  const gitlab = await resolveOne("gitlab", {
    ...CREDS,
    base_url: "https://git.corp.example/",
    token_url: "https://token-proxy.corp.example/token",
  });
  assert.equal(gitlab.displayName, "GitLab (git.corp.example)");
  assert.equal(gitlab.oauth.authorizationUrl, "https://git.corp.example/oauth/authorize");
  assert.equal(gitlab.oauth.tokenUrl, "https://token-proxy.corp.example/token");
  assert.equal(gitlab.oauth.revocation?.url, "https://git.corp.example/oauth/revoke");
  assert.equal(gitlab.identity?.url, "https://git.corp.example/api/v4/user");
  assert.deepEqual(gitlab.apis, [{ host: "gitlab", baseUrl: "https://git.corp.example" }]);
  const saas = await resolveOne("gitlab", CREDS);
  assert.equal(saas.oauth.authorizationUrl, "https://gitlab.com/oauth/authorize");
});

Deno.test("resolve: default scopes follow the allowlist", async () => {
  const plain = await resolveOne("github", CREDS);
  assert.deepEqual(plain.defaultScopes, ["read:user"]);
  assert.equal(plain.allowedScopes, null);
  const narrowed = await resolveOne("github", { ...CREDS, scopes: ["repo", "read:user"] });
  assert.deepEqual(narrowed.defaultScopes, ["read:user"]);
  const disjoint = await resolveOne("github", { ...CREDS, scopes: ["repo", "gist"] });
  assert.deepEqual(disjoint.defaultScopes, ["repo", "gist"]);
  const explicit = await resolveOne("github", {
    ...CREDS,
    scopes: ["repo"],
    default_scopes: ["repo"],
  });
  assert.deepEqual(explicit.defaultScopes, ["repo"]);
});

Deno.test("resolve: enabled and known sets; disabled providers stay known", async () => {
  const providers = await resolveTables({
    gmail: CREDS,
    slack: { enabled: false },
    legacy: {
      kind: "oauth2",
      client_id: "pub",
      authorization_url: "https://l.example/a",
      token_url: "https://l.example/t",
      api_base_url: "https://l.example/api",
      enabled: false,
    },
  });
  assert.deepEqual([...providers.enabled.keys()], ["gmail"]);
  for (const name of [...catalogNames(), "legacy"]) assert.ok(providers.known.has(name), name);
  assert.equal(providers.known.has("nope"), false);
});

Deno.test("resolve: a custom oauth2 provider; public client when no secret", async () => {
  const legacy = await resolveOne("legacy", {
    kind: "oauth2",
    client_id: "pub",
    authorization_url: "https://l.example/a",
    token_url: "https://l.example/t",
    userinfo_url: "https://l.example/me",
    api_base_url: "https://l.example/api",
    scopes: ["read"],
  });
  assert.equal(legacy.family, "custom");
  assert.equal(legacy.displayName, "legacy");
  assert.equal(legacy.oauth.clientAuth, "none");
  assert.equal(legacy.oauth.pkce, true, "PKCE on unless turned off");
  assert.equal(legacy.oauth.revocation, null);
  assert.deepEqual(legacy.oauth.alwaysScopes, []);
  assert.deepEqual(legacy.defaultScopes, ["read"]);
  assert.deepEqual(legacy.apis, [{
    host: "legacy",
    baseUrl: "https://l.example/api",
    websocket: false,
  }]);
  assert.deepEqual(legacy.identity?.parse({ id: 42, name: "Ann" }), {
    id: "42",
    email: null,
    name: "Ann",
  });
  assert.equal(legacy.identity?.parse({ name: "no id" }), null);
});

Deno.test("resolve: kind=oidc reads the discovery document through the injected fetch", async () => {
  const fetch = scriptedFetch(json(discovery()));
  const providers = await resolveTables({ corp: CORP }, { fetch });
  assert.equal(fetch.sent[0].url, `${ISSUER}/.well-known/openid-configuration`);
  const corp = providers.enabled.get("corp")!;
  assert.equal(corp.oauth.authorizationUrl, `${ISSUER}/protocol/openid-connect/auth`);
  assert.equal(corp.oauth.tokenUrl, `${ISSUER}/protocol/openid-connect/token`);
  assert.deepEqual(corp.oauth.revocation, {
    style: "rfc7009",
    url: `${ISSUER}/protocol/openid-connect/revoke`,
  });
  assert.equal(corp.identity?.url, `${ISSUER}/protocol/openid-connect/userinfo`);
  assert.equal(corp.oauth.pkce, true);
  assert.equal(corp.oauth.clientAuth, "basic");
  assert.deepEqual(corp.oauth.alwaysScopes, ["openid"]);
  assert.deepEqual(corp.defaultScopes, ["email", "profile"]);
});

Deno.test("resolve: discovery decides PKCE and client auth; config overrides discovery", async () => {
  const fetch = scriptedFetch(json(discovery({
    code_challenge_methods_supported: ["plain"],
    token_endpoint_auth_methods_supported: ["client_secret_post"],
    revocation_endpoint: undefined,
  })));
  const corp = (await resolveTables({
    corp: { ...CORP, token_url: "https://token.corp.example/t" },
  }, { fetch })).enabled.get("corp")!;
  assert.equal(corp.oauth.pkce, false, "no S256 on offer");
  assert.equal(corp.oauth.clientAuth, "post");
  assert.equal(corp.oauth.tokenUrl, "https://token.corp.example/t");
  assert.equal(corp.oauth.revocation, null);

  const forced = (await resolveTables({ corp: { ...CORP, pkce: true } }, {
    fetch: scriptedFetch(json(discovery({ code_challenge_methods_supported: undefined }))),
  })).enabled.get("corp")!;
  assert.equal(forced.oauth.pkce, true);
});

Deno.test("resolve: discovery failures stop startup with the provider and URL named", async () => {
  const cases: [Response | (() => never), string, RegExp][] = [
    [
      () => {
        throw new TypeError("dns error");
      },
      "SX-PROVIDER-UNREACHABLE",
      /^Cannot discover the OpenID configuration for "corp": https:\/\/idp\.corp\.example\/realms\/main\/\.well-known\/openid-configuration could not be reached$/,
    ],
    [new Response("nope", { status: 404 }), "SX-PROVIDER-BAD-RESPONSE", /answered HTTP 404/],
    [
      new Response("<html>", { status: 200 }),
      "SX-PROVIDER-BAD-RESPONSE",
      /not a usable OpenID configuration/,
    ],
    [
      json(discovery({ issuer: "https://evil.example" })),
      "SX-PROVIDER-BAD-RESPONSE",
      /names issuer "https:\/\/evil\.example", not https:\/\/idp/,
    ],
    [
      json(discovery({ token_endpoint: "http://idp.corp.example/token" })),
      "SX-PROVIDER-BAD-RESPONSE",
      /token_endpoint: expected an https:\/\/ URL/,
    ],
    [
      json(discovery({ token_endpoint_auth_methods_supported: ["private_key_jwt"] })),
      "SX-PROVIDER-CONFIG",
      /accepts neither client_secret_basic nor client_secret_post \(private_key_jwt\)/,
    ],
  ];
  for (const [reply, code, message] of cases) {
    const error = await rejection(resolveTables({ corp: CORP }, { fetch: scriptedFetch(reply) }));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
  }
});

Deno.test("resolve: an unreachable issuer on 127.0.0.1 fails fast with a clear error", async () => {
  // A port that was free a moment ago: nothing listens there now.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const error = await rejection(resolveProviders(
    await parseProviders({ corp: { ...CORP, issuer: `http://127.0.0.1:${port}` } }),
    { timeoutMs: 2_000 },
  ));
  assert.equal(error.code, "SX-PROVIDER-UNREACHABLE");
  assert.equal(
    error.message,
    `Cannot discover the OpenID configuration for "corp": http://127.0.0.1:${port}/.well-known/openid-configuration could not be reached`,
  );
});

Deno.test("resolve: two providers on one proxy host are refused", async () => {
  const error = await rejection(resolveTables({
    dropbox: CREDS,
    "dropbox-content": {
      kind: "oauth2",
      client_id: "x",
      authorization_url: "https://x.example/a",
      token_url: "https://x.example/t",
      api_base_url: "https://x.example",
    },
  }));
  assert.equal(error.code, "SX-PROVIDER-CONFIG");
  assert.match(error.message, /proxy host "dropbox-content" is already used by provider "dropbox"/);
  // Drive and Calendar share an upstream but not a host: fine.
  const google = await resolveTables({ drive: CREDS, calendar: CREDS, gmail: CREDS });
  assert.equal(google.enabled.size, 3);
});

Deno.test("resolve lazy: OIDC discovery waits for first use; the provider is unavailable until it succeeds", async () => {
  const fetch = scriptedFetch(
    () => Promise.reject(new TypeError("connection refused")),
    json(discovery()),
  );
  const providers = await resolveProviders(await parseProviders({ corp: CORP, github: CREDS }), {
    fetch,
    lazy: true,
  });
  assert.equal(fetch.sent.length, 0, "nothing fetched at start");
  assert.deepEqual([...providers.deferred.keys()], ["corp"]);
  assert.deepEqual(providers.enabled.get("corp")!.apis.map((a) => a.host), ["corp"]);
  let now = 0;
  const wiring = wireProviders(providers, {
    now: () => now,
    discovery: { initialMs: 1_000 },
  });
  const corp = wiring.registry.enabled.get("corp")!;
  const input = {
    state: "s",
    codeVerifier: "v".repeat(43),
    scopes: [],
    redirectUri: "https://x/cb",
  };
  const first = await rejection(corp.authorizationUrl(input));
  assert.equal(first.code, "SX-PROVIDER-UNAVAILABLE");
  assert.equal(first.status, 503);
  assert.equal(new URL(corp.authorizationOrigin).origin, "https://idp.corp.example");
  assert.equal(
    (await rejection(wiring.routes.get("corp")!.ready!()!)).code,
    "SX-PROVIDER-UNAVAILABLE",
  );
  assert.equal(fetch.sent.length, 1, "inside the backoff window nothing is fetched");
  assert.equal(wiring.routes.get("github")!.ready, undefined, "catalog providers need no check");
  now += 1_000;
  const url = await corp.authorizationUrl(input);
  assert.equal(url.origin + url.pathname, `${ISSUER}/protocol/openid-connect/auth`);
  assert.equal(wiring.routes.get("corp")!.ready!(), null, "ready once discovered");
  assert.equal(fetch.sent.length, 2);
});
