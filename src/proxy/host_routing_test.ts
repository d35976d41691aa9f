import assert from "node:assert/strict";
import { providerFromHost, providerFromPath, requestTarget, requestUrl } from "./host_routing.ts";

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

Deno.test("host routing: the raw path keeps dot segments and backslashes URL parsing would resolve", () => {
  for (
    const [url, path] of [
      ["http://x/proxy/gmail/../../v1/connections", "/proxy/gmail/../../v1/connections"],
      ["http://x/proxy/gmail/%2e%2e/v1?q=/a#f", "/proxy/gmail/%2e%2e/v1"],
      ["http://x/proxy/gmail/..\\v1", "/proxy/gmail/..\\v1"],
      ["http://x:8080//evil.example/x", "//evil.example/x"],
      ["http://x?/proxy/gmail/x", "/"],
      ["http://x#/proxy/gmail/x", "/"],
      ["http://x", "/"],
    ]
  ) assert.equal(requestTarget(url).path, path, url);
});

Deno.test("host routing: a Host header that is not host[:port] gives no URL", () => {
  // Deno.serve builds req.url as `http://${host}${target}`.
  const url = (host: string) => requestUrl(`http://${host}/a`, host);
  assert.equal(url("gmail.api.localhost:8080")?.pathname, "/a");
  assert.equal(url("[::1]:8080")?.host, "[::1]:8080");
  assert.equal(url("my_service")?.hostname, "my_service");
  assert.equal(requestUrl("http://from-authority/a", null)?.host, "from-authority", "HTTP/2");
  for (const host of ["x/v1/agents#", "x@y", "x?y", "x#y", "x:99999", "[::1", "", "a b", "x\\y"]) {
    assert.equal(url(host), null, host);
  }
});

Deno.test("host routing: HTTP/2 requests (no Host header) route on the :authority", () => {
  const opts = { baseDomain: "securix.example.com", trustProxy: false };
  const url = "https://gmail.api.securix.example.com:8443/gmail/v1/users/me?x=1";
  assert.equal(requestTarget(url).authority, "gmail.api.securix.example.com:8443");
  assert.equal(providerFromHost(new Headers(), opts, requestTarget(url).authority), "gmail");
  // A Host header, when present, is what routes (HTTP/1.1).
  assert.equal(
    providerFromHost(
      new Headers({ host: "securix.example.com" }),
      opts,
      requestTarget(url).authority,
    ),
    null,
  );
});

Deno.test("host routing: the same Host answers alike again, and a new Host or base domain is read anew", () => {
  const h = (host: string) => new Headers({ host });
  const local = { ...opts, baseDomain: "localhost" };
  // Alternating: a provider kept from the previous Host or base domain would answer wrongly.
  for (let i = 0; i < 2; i++) {
    assert.equal(providerFromHost(h("gmail.api.localhost"), local), "gmail");
    assert.equal(providerFromHost(h("gmail.api.localhost"), opts), null);
    assert.equal(providerFromHost(h("slack.api.localhost"), local), "slack");
    assert.equal(providerFromHost(h("evil.localhost"), local), null);
    assert.equal(providerFromHost(new Headers(), local, "notion.api.localhost"), "notion");
  }
});
