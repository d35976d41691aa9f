import assert from "node:assert/strict";
import { resolveConfig } from "../config/load.ts";
import { ClientCredentials, type EnabledProviderConfig } from "./provider_config.ts";

/** Loads a config the way `securix` does, with only `[providers]` varying. */
async function load(providers: Record<string, unknown>, env: Record<string, string> = {}) {
  const vars: Record<string, string> = { MASTER: "ab".repeat(32), ...env };
  return await resolveConfig(
    { vault: { master_key: "env:MASTER" }, providers },
    { source: "/etc/securix/securix.toml", baseDir: "/etc/securix", env: (n) => vars[n] },
  );
}

async function loadError(providers: Record<string, unknown>, env: Record<string, string> = {}) {
  try {
    await load(providers, env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new assert.AssertionError({ message: "expected the config to be refused" });
}

Deno.test("provider config: a catalog provider with an env: secret, scopes and overrides", async () => {
  const config = await load({
    gmail: {
      client_id: "cid.apps.googleusercontent.com",
      client_secret: "env:GOOGLE_CLIENT_SECRET",
      scopes: ["https://www.googleapis.com/auth/gmail.readonly"],
      token_url: "http://127.0.0.1:8555/token",
    },
  }, { GOOGLE_CLIENT_SECRET: "GOCSPX-real-secret" });
  const gmail = config.providers.gmail as EnabledProviderConfig;
  assert.equal(gmail.kind, "catalog");
  assert.equal(gmail.enabled, true);
  assert.equal(gmail.client.clientId, "cid.apps.googleusercontent.com");
  assert.equal(gmail.client.clientSecret, "GOCSPX-real-secret");
  assert.deepEqual(gmail.scopes, ["https://www.googleapis.com/auth/gmail.readonly"]);
  assert.equal(gmail.urls.token, "http://127.0.0.1:8555/token");
  assert.equal(gmail.urls.authorization, null);
  assert.ok(Object.isFrozen(gmail));
});

Deno.test("provider config: the client secret never shows in JSON or console output", async () => {
  const config = await load({
    github: { client_id: "Iv1.x", client_secret: "ghs-literal-SECRET" },
  });
  const dumped = JSON.stringify(config.providers) + Deno.inspect(config.providers, { depth: 10 });
  assert.ok(!dumped.includes("ghs-literal-SECRET"), dumped);
  assert.match(JSON.stringify(config.providers), /"clientSecret":"\[redacted\]"/);
  assert.equal(new ClientCredentials("a", null).toJSON().clientSecret, null);
});

Deno.test("provider config: custom oidc and oauth2 providers", async () => {
  const config = await load({
    corp: {
      kind: "oidc",
      issuer: "https://idp.corp.example/realms/main",
      client_id: "securix",
      client_secret: "env:CORP",
      api_base_url: "https://api.corp.example",
      display_name: "Corp",
    },
    legacy: {
      kind: "oauth2",
      authorization_url: "https://legacy.example/oauth/authorize",
      token_url: "https://legacy.example/oauth/token",
      client_id: "public-app",
      api_base_url: "https://legacy.example/api",
      pkce: false,
    },
  }, { CORP: "corp-secret" });
  const corp = config.providers.corp as EnabledProviderConfig;
  assert.equal(corp.kind, "oidc");
  assert.equal(corp.issuer, "https://idp.corp.example/realms/main");
  assert.equal(corp.displayName, "Corp");
  const legacy = config.providers.legacy as EnabledProviderConfig;
  assert.equal(legacy.kind, "oauth2");
  assert.equal(legacy.client.clientSecret, null, "a public client");
  assert.equal(legacy.pkce, false);
});

Deno.test("provider config: unknown and misplaced keys are refused with what is accepted", async () => {
  assert.match(
    await loadError({ gmail: { client_id: "x", client_secret: "y", client_secrte: "z" } }),
    /^Cannot load securix\.toml: providers\.gmail\.client_secrte: unknown key; \[providers\.gmail\] accepts enabled, display_name, client_id, client_secret, scopes, default_scopes, authorization_url, token_url, userinfo_url, revocation_url, api_base_url, websocket, authorization_params$/,
  );
  assert.match(
    await loadError({
      github: { client_id: "x", client_secret: "y", base_url: "https://ghe.example" },
    }),
    /providers\.github\.base_url: only gitlab accepts base_url/,
  );
  assert.match(
    await loadError({ gmail: { client_id: "x", client_secret: "y", pkce: false } }),
    /providers\.gmail\.pkce: pkce is fixed for catalog providers/,
  );
  assert.match(
    await loadError({
      legacy: {
        kind: "oauth2",
        issuer: "https://x.example",
        client_id: "x",
        authorization_url: "https://x.example/a",
        token_url: "https://x.example/t",
        api_base_url: "https://x.example",
      },
    }),
    /providers\.legacy\.issuer: issuer is only for kind = "oidc"/,
  );
});

Deno.test("provider config: unknown names, kinds on catalog names and bad custom names", async () => {
  assert.match(
    await loadError({ gmial: { client_id: "x", client_secret: "y" } }),
    /providers\.gmial: unknown provider "gmial"; the catalog has gmail, drive, calendar, github, slack, microsoft, dropbox, notion, gitlab, atlassian, linear; a custom provider sets kind = "oidc" or "oauth2"/,
  );
  assert.match(
    await loadError({ github: { kind: "oauth2", client_id: "x" } }),
    /providers\.github\.kind: "github" is a catalog provider and takes no kind/,
  );
  assert.match(
    await loadError({ Corp_IdP: { kind: "oidc", issuer: "https://x.example", client_id: "x" } }),
    /providers\.Corp_IdP: a custom provider's name becomes its proxy host/,
  );
  assert.match(
    await loadError({ corp: { kind: "saml" } }),
    /providers\.corp\.kind: expected "oidc" or "oauth2"/,
  );
  assert.match(await loadError({ gmail: "yes" }), /providers\.gmail: expected a table, got "yes"/);
});

Deno.test("provider config: required keys are named with why", async () => {
  const message = await loadError({ corp: { kind: "oidc" } });
  assert.match(message, /providers\.corp\.client_id: required: the OAuth client id/);
  assert.match(message, /providers\.corp\.issuer: required: the issuer URL/);
  assert.match(message, /providers\.corp\.api_base_url: required/);
  assert.match(
    await loadError({ slack: { client_id: "x" } }),
    /providers\.slack\.client_secret: required/,
  );
  const oauth2 = await loadError({
    legacy: { kind: "oauth2", client_id: "x", api_base_url: "https://a.example" },
  });
  assert.match(oauth2, /authorization_url: required/);
  assert.match(oauth2, /token_url: required/);
});

Deno.test("provider config: URLs must be https (http only to this machine), without credentials", async () => {
  const base = { client_id: "x", client_secret: "y" };
  assert.match(
    await loadError({ gitlab: { ...base, base_url: "http://gitlab.corp.example" } }),
    /providers\.gitlab\.base_url: expected an https:\/\/ URL without credentials \(http:\/\/ only for localhost\), got "http:\/\/gitlab\.corp\.example"/,
  );
  assert.match(
    await loadError({ gmail: { ...base, token_url: "https://user:pw@token.example/t" } }),
    /providers\.gmail\.token_url: expected an https:\/\/ URL/,
  );
  const config = await load({
    gitlab: {
      ...base,
      base_url: "https://gitlab.corp.example",
      userinfo_url: "http://localhost:9/u",
    },
  });
  assert.equal(
    (config.providers.gitlab as EnabledProviderConfig).baseUrl,
    "https://gitlab.corp.example",
  );
});

Deno.test("provider config: scope lists", async () => {
  const base = { client_id: "x", client_secret: "y" };
  assert.match(
    await loadError({ gmail: { ...base, scopes: [] } }),
    /providers\.gmail\.scopes: list at least one scope, or leave the key out to allow any/,
  );
  assert.match(
    await loadError({ gmail: { ...base, scopes: ["a b"] } }),
    /providers\.gmail\.scopes\.0: expected a scope without spaces or quotes, got "a b"/,
  );
  assert.match(await loadError({ gmail: { ...base, scopes: ["a", "a"] } }), /lists a scope twice/);
  assert.match(
    await loadError({ gmail: { ...base, scopes: ["a"], default_scopes: ["a", "b"] } }),
    /providers\.gmail\.default_scopes: not in the scopes allowlist: b/,
  );
});

Deno.test("provider config: enabled = false needs no credentials and reads no secret", async () => {
  const config = await load({
    slack: { enabled: false, client_secret: "env:NOT_SET_ANYWHERE" },
    corp: { kind: "oidc", enabled: false },
  });
  assert.deepEqual({ ...config.providers.slack }, {
    name: "slack",
    kind: "catalog",
    enabled: false,
    displayName: null,
    scopes: null,
  });
  assert.equal(config.providers.corp.enabled, false);
});

Deno.test("provider config: an unresolvable secret names the variable or file, never a value", async () => {
  assert.match(
    await loadError({ gmail: { client_id: "x", client_secret: "env:GOOGLE_CLIENT_SECRET" } }),
    /providers\.gmail\.client_secret: environment variable GOOGLE_CLIENT_SECRET is not set/,
  );
  assert.match(
    await loadError({ gmail: { client_id: "x", client_secret: "file:secrets/google" } }),
    /providers\.gmail\.client_secret: file \/etc\/securix\/secrets\/google (does not exist|cannot be read)/,
  );
});

Deno.test("provider config: no [providers] section means no providers", async () => {
  assert.deepEqual({ ...(await load({})).providers }, {});
  const none = await resolveConfig(
    { vault: { master_key: "env:M" } },
    { source: null, baseDir: "/", env: (n) => (n === "M" ? "cd".repeat(32) : undefined) },
  );
  assert.deepEqual({ ...none.providers }, {});
});

Deno.test("provider config: authorization_params are string values and cannot override the flow's own", async () => {
  const config = await load({
    gmail: {
      client_id: "cid",
      client_secret: "s",
      authorization_params: { prompt: "select_account", hd: "example.com" },
    },
  });
  const gmail = config.providers.gmail as EnabledProviderConfig;
  assert.deepEqual(gmail.authorizationParams, { prompt: "select_account", hd: "example.com" });
  for (const name of ["state", "code_challenge", "redirect_uri", "client_id", "response_type"]) {
    const message = await loadError({
      corp: {
        kind: "oauth2",
        client_id: "c",
        authorization_url: "https://idp.example/auth",
        token_url: "https://idp.example/token",
        api_base_url: "https://api.example",
        authorization_params: { [name]: "x" },
      },
    });
    assert.match(
      message,
      new RegExp(`providers\\.corp\\.authorization_params.*"${name}" is set by the appliance`),
      message,
    );
  }
  const scope = await loadError({
    gmail: { client_id: "c", client_secret: "s", authorization_params: { Scope: "x" } },
  });
  assert.match(scope, /"Scope" is set by the appliance/);
  const number = await loadError({
    gmail: { client_id: "c", client_secret: "s", authorization_params: { max_age: 3600 } },
  });
  assert.match(number, /authorization_params\.max_age.*expected a string value, got 3600/, number);
  const notTable = await loadError({
    gmail: { client_id: "c", client_secret: "s", authorization_params: "prompt=consent" },
  });
  assert.match(notTable, /expected a table of strings/, notTable);
});
