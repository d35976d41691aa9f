import assert from "node:assert/strict";
import { startOidcServer } from "../../tests/helpers/oidc_server.ts";
import { freePort } from "../../tests/helpers/process.ts";
import { parseProviders } from "../providers/test_util.ts";
import { providerEndpointChecks } from "./doctor_provider_checks.ts";

const CLIENT = { client_id: "securix", client_secret: "s3cret" };

Deno.test("doctor: each provider's endpoints; an unreachable issuer fails fast with its fix", async () => {
  const server = await startOidcServer({
    clients: [{ clientId: "securix", clientSecret: "s3cret", redirectUris: ["http://x/cb"] }],
  });
  const closed = freePort();
  // A server that accepts and never answers: the check must give up on its own.
  const hanging = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of hanging) held.push(conn);
  })();
  try {
    const configs = await parseProviders({
      corp: { kind: "oidc", issuer: server.issuer, ...CLIENT, api_base_url: "https://api.x" },
      narrow: {
        kind: "oidc",
        issuer: server.issuer,
        ...CLIENT,
        api_base_url: "https://api.y",
        scopes: ["openid", "email"],
      },
      down: {
        kind: "oidc",
        issuer: `http://127.0.0.1:${closed}`,
        ...CLIENT,
        api_base_url: "https://api.z",
      },
      slow: {
        kind: "oidc",
        issuer: `http://127.0.0.1:${(hanging.addr as Deno.NetAddr).port}`,
        ...CLIENT,
        api_base_url: "https://api.w",
      },
      github: CLIENT,
      off: { kind: "oauth2", enabled: false },
    });
    const started = Date.now();
    const results = await providerEndpointChecks(configs, { timeoutMs: 1_000 });
    assert.ok(Date.now() - started < 5_000, "bounded by the timeout");
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(by).toSorted(), [
      "provider corp",
      "provider down",
      "provider github",
      "provider narrow",
      "provider slow",
    ]);
    assert.equal(by["provider corp"].status, "ok");
    assert.match(by["provider corp"].detail, new RegExp(`token ${server.tokenUrl}`));
    assert.equal(by["provider github"].status, "ok");
    assert.match(by["provider github"].detail, /github\.com\/login\/oauth\/authorize/);
    assert.equal(by["provider narrow"].status, "warn");
    assert.match(by["provider narrow"].fix!, /offline_access/);
    for (const name of ["provider down", "provider slow"]) {
      assert.equal(by[name].status, "fail", name);
      assert.match(
        by[name].fix!,
        /curl http:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration/,
      );
    }
    assert.match(by["provider slow"].detail, /1000 ms|time/i);
  } finally {
    hanging.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
    await server.close();
  }
});

Deno.test("doctor: a credential-form provider has no OAuth endpoints to check", async () => {
  const configs = await parseProviders({
    keyed: {
      strategy: "query_param",
      api_base_url: "https://api.keyed.example/v2",
      param_name: "key",
      test_request: { path: "/ping" },
    },
  });
  const [check] = await providerEndpointChecks(configs, { fetch: () => Promise.reject("no net") });
  assert.equal(check.status, "ok");
  assert.equal(
    check.detail,
    "query_param credential form; API https://api.keyed.example/v2, test GET /ping expects 200",
  );
});

Deno.test("doctor: no provider enabled is a warning that says how to enable one", async () => {
  for (const configs of [{}, { github: { enabled: false, ...CLIENT } }]) {
    const checks = await providerEndpointChecks(await parseProviders(configs));
    assert.equal(checks.length, 1);
    assert.equal(checks[0].name, "providers");
    assert.equal(checks[0].status, "warn");
    assert.match(checks[0].detail, /none enabled/);
    assert.match(checks[0].fix ?? "", /add \[providers\.<name>\]/);
  }
});
