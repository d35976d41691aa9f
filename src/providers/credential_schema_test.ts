import assert from "node:assert/strict";
import { resolveConfig } from "../config/load.ts";
import type { EnabledProviderConfig } from "./provider_config.ts";
import { resolveOne } from "./test_util.ts";

async function load(providers: Record<string, unknown>) {
  return await resolveConfig(
    { vault: { master_key: "env:MASTER" }, providers },
    { source: "/x/securix.toml", baseDir: "/x", env: () => "ab".repeat(32) },
  );
}

async function loadError(providers: Record<string, unknown>): Promise<string> {
  try {
    await load(providers);
  } catch (error) {
    return (error as Error).message;
  }
  throw new assert.AssertionError({ message: "expected the config to be refused" });
}

const freedcamp = {
  strategy: "header",
  api_base_url: "https://freedcamp.com/api/v1",
  header_name: "X-Freedcamp-Key",
  credential_field: "user_key",
  credential_schema: {
    type: "object",
    required: ["user_key"],
    properties: { user_key: { type: "string", title: "API key", format: "password" } },
  },
  test_request: { method: "GET", path: "/me", expect_status: 200 },
};

Deno.test("form providers: the issue's freedcamp example loads, needs no OAuth keys, and resolves", async () => {
  const config = await load({ freedcamp });
  const p = config.providers.freedcamp as EnabledProviderConfig;
  assert.equal(p.kind, "form");
  assert.equal(p.form?.strategy, "header");
  assert.equal(p.form?.headerName, "X-Freedcamp-Key");
  assert.deepEqual(p.form?.testRequest, { method: "GET", path: "/me", expectStatus: 200 });
  const resolved = await resolveOne("freedcamp", freedcamp);
  assert.equal(resolved.strategy, "header");
  assert.deepEqual(resolved.injection, {
    kind: "header",
    name: "X-Freedcamp-Key",
    template: "{token}",
  });
  assert.equal(resolved.oauth.refresh, false);
  const prefixed = await resolveOne("prefixed", {
    ...freedcamp,
    header_name: undefined,
    value_prefix: "Token ",
  });
  assert.deepEqual(prefixed.injection, {
    kind: "header",
    name: "Authorization",
    template: "Token {token}",
  });
  const unmasked = await resolveOne("unmasked", {
    ...freedcamp,
    credential_schema: {
      type: "object",
      required: ["user_key"],
      properties: { user_key: { type: "string", title: "Key" }, team: { type: "string" } },
    },
  });
  assert.equal(unmasked.form!.schema.properties.user_key.format, "password", "the sent field");
  assert.equal(unmasked.form!.schema.properties.team.format, undefined);
  const explicit = await load({
    mine: {
      kind: "oauth2",
      strategy: "oauth2",
      client_id: "c",
      authorization_url: "https://x.example/a",
      token_url: "https://x.example/t",
      api_base_url: "https://x.example/api",
    },
  });
  assert.equal(explicit.providers.mine.kind, "oauth2");
  const sigv4 = await resolveOne("objects", {
    strategy: "aws_sigv4",
    api_base_url: "https://s3.eu-west-1.amazonaws.com",
    region: "eu-west-1",
    service: "s3",
    test_request: { path: "/" },
  });
  assert.deepEqual(sigv4.injection, { kind: "aws_sigv4", region: "eu-west-1", service: "s3" });
  assert.deepEqual(Object.keys(sigv4.form!.schema.properties), [
    "access_key_id",
    "secret_access_key",
    "session_token",
  ]);
});

Deno.test("form providers: a bad schema or strategy keys are refused with the path and why", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...freedcamp, credential_schema: { type: "array" } }, /credential_schema.*type = "object"/],
    [
      {
        ...freedcamp,
        credential_schema: {
          type: "object",
          required: ["user_key"],
          properties: { user_key: { type: "object" } },
        },
      },
      /credential_schema\.properties\.user_key\.type.*"string", "number" or "boolean"/,
    ],
    [
      {
        ...freedcamp,
        credential_schema: {
          type: "object",
          required: ["user_key", "ghost"],
          properties: { user_key: { type: "string", pattern: "([" } },
        },
      },
      /not a valid regular expression[\s\S]*"ghost" is required but not among the properties/,
    ],
    [
      {
        ...freedcamp,
        credential_schema: {
          type: "object",
          properties: { user_key: { type: "string", minLength: 3 } },
        },
      },
      /unknown key minLength/,
    ],
    [{ ...freedcamp, credential_field: "other" }, /"other" must be a required field/],
    [{ ...freedcamp, header_name: "Host" }, /cannot carry a credential/],
    [{ ...freedcamp, param_name: "key" }, /strategy = "header" takes no param_name/],
    [{ ...freedcamp, client_id: "x" }, /unknown key/],
    [{ ...freedcamp, test_request: undefined }, /test_request.*required/],
    [{ ...freedcamp, strategy: "hmac" }, /expected one of oauth2, header/],
    [
      { strategy: "query_param", api_base_url: "https://x.example", test_request: { path: "/" } },
      /param_name.*required/,
    ],
    [
      { strategy: "aws_sigv4", api_base_url: "https://x.example", test_request: { path: "/" } },
      /region.*required/,
    ],
    [
      { ...freedcamp, strategy: "basic_auth", header_name: undefined, credential_field: undefined },
      /basic_auth needs a required string field "username"/,
    ],
  ];
  for (const [table, expected] of cases) {
    const message = await loadError({ freedcamp: table });
    assert.match(message, expected, message);
  }
  assert.match(
    await loadError({ gmail: { strategy: "header", client_id: "x", client_secret: "y" } }),
    /catalog provider/,
  );
  assert.match(
    await loadError({ mine: { ...freedcamp, kind: "oauth2" } }),
    /leave kind out for strategy/,
  );
});
