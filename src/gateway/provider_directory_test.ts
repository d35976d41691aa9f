import assert from "node:assert/strict";
import type { FlowProvider, ProviderRegistry } from "../flows/flow_provider.ts";
import type { ProxyRoute } from "../proxy/proxy_route.ts";
import { providerDirectory, providersByAuthType } from "./provider_directory.ts";

function provider(name: string, displayName: string): FlowProvider {
  return {
    name,
    displayName,
    allowedScopes: null,
    defaultScopes: ["openid"],
    authorizationOrigin: "https://auth.example",
    authorizationUrl: () => Promise.reject(new Error("unused")),
    exchangeCode: () => Promise.reject(new Error("unused")),
    fetchAccount: () => Promise.resolve(null),
    revoke: null,
  };
}

function route(host: string, name: string, family: string): ProxyRoute {
  return {
    host,
    provider: name,
    family,
    baseUrl: new URL(`https://${host}.example.com/`),
    inject: (_c, _h, url) => url,
    websocket: false,
  };
}

function directory(names: [string, string, string][]) {
  const registry: ProviderRegistry = {
    enabled: new Map(names.map(([n, d]) => [n, provider(n, d)])),
    known: new Set([...names.map(([n]) => n), "slack"]),
  };
  const routes = new Map(names.map(([n, , f]) => [n, route(n, n, f)]));
  return providerDirectory(registry, routes, "securix.example");
}

Deno.test("provider names: ours, display names and families, any case and spacing", () => {
  const d = directory([["gmail", "Gmail", "google"], ["microsoft", "Microsoft", "microsoft"], [
    "github",
    "GitHub",
    "github",
  ]]);
  assert.equal(d.resolve("gmail"), "gmail");
  assert.equal(d.resolve("GMAIL"), "gmail");
  assert.equal(d.resolve("Google"), "gmail", "the one enabled Google provider");
  assert.equal(d.resolve("Microsoft"), "microsoft");
  assert.equal(d.resolve("github"), "github");
  assert.equal(d.resolve("Git Hub"), "github");
  assert.equal(d.familyOf("gmail"), "google");
});

Deno.test("provider names: a family with several providers is ambiguous; unknown and disabled are told apart", () => {
  const d = directory([["gmail", "Gmail", "google"], ["drive", "Google Drive", "google"]]);
  assert.equal(d.resolve("google drive"), "drive");
  assert.throws(() => d.resolve("Google"), { code: "SX-PROVIDER-AMBIGUOUS" });
  assert.throws(() => d.resolve("Slack"), { code: "SX-PROVIDER-DISABLED" });
  assert.throws(() => d.resolve("nowhere"), { code: "SX-UNKNOWN-PROVIDER" });
});

Deno.test("GET /v1/providers shape: grouped by auth type, hosts and scopes, no client credentials", () => {
  const d = directory([["gmail", "Gmail", "google"]]);
  const listed = providersByAuthType(d.entries());
  assert.equal(listed.count, 1);
  assert.deepEqual(Object.keys(listed.providers), ["oauth2", "api_key", "basic", "aws_sigv4"]);
  assert.deepEqual(listed.providers.oauth2[0], {
    name: "gmail",
    provider_id: "gmail",
    display_name: "Gmail",
    family: "google",
    auth_type: "oauth2",
    api_base_urls: ["https://gmail.example.com/"],
    proxy_hosts: ["gmail.api.securix.example"],
    websocket: false,
    scopes: ["openid"],
    default_scopes: ["openid"],
    allowed_scopes: null,
  });
});
