import assert from "node:assert/strict";
import { providerFromHost, providerFromPath } from "./host_routing.ts";

const opts = { baseDomain: "securix.example.com", trustProxy: false };

Deno.test("host routing: <provider>.api.<base_domain>, port ignored, case-insensitive", () => {
  const h = (host: string, extra: Record<string, string> = {}) => new Headers({ host, ...extra });
  assert.equal(providerFromHost(h("gmail.api.securix.example.com"), opts), "gmail");
  assert.equal(providerFromHost(h("GitHub.API.securix.example.com:8443"), opts), "github");
  assert.equal(providerFromHost(h("securix.example.com"), opts), null);
  assert.equal(providerFromHost(h("api.securix.example.com"), opts), null);
  assert.equal(providerFromHost(h("a.b.api.securix.example.com"), opts), null);
  assert.equal(providerFromHost(h("gmail.api.securix.example.com.evil.com"), opts), null);
  assert.equal(
    providerFromHost(h("gmail.api.localhost:8080"), { ...opts, baseDomain: "localhost" }),
    "gmail",
  );
});

Deno.test("host routing: X-Forwarded-Host only counts with trust_proxy", () => {
  const headers = new Headers({
    host: "127.0.0.1:8080",
    "x-forwarded-host": "slack.api.securix.example.com",
  });
  assert.equal(providerFromHost(headers, opts), null);
  assert.equal(providerFromHost(headers, { ...opts, trustProxy: true }), "slack");
});

Deno.test("host routing: /proxy/<provider>/<path> fallback", () => {
  assert.deepEqual(providerFromPath("/proxy/gmail/gmail/v1/users/me/messages"), {
    provider: "gmail",
    path: "/gmail/v1/users/me/messages",
  });
  assert.deepEqual(providerFromPath("/proxy/github"), { provider: "github", path: "/" });
  assert.equal(providerFromPath("/proxyx/gmail/"), null);
  assert.equal(providerFromPath("/v1/auth/sessions"), null);
});
