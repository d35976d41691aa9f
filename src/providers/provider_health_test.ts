import assert from "node:assert/strict";
import { providerHealth } from "./provider_health.ts";
import { parseProviders } from "./test_util.ts";

function custom(name: string) {
  return {
    kind: "oauth2",
    client_id: "pub",
    authorization_url: `https://${name}.example.com/authorize`,
    token_url: `https://${name}.example.com/token`,
    api_base_url: `https://${name}.example.com/api`,
  };
}

Deno.test("provider health: a refusing token endpoint is alive; a 5xx or a network error is not", async () => {
  const calls: { url: string; method: string; body: string }[] = [];
  const fake: typeof fetch = (input, init) => {
    const url = String(input);
    calls.push({ url, method: init?.method ?? "GET", body: String(init?.body) });
    if (url.includes("down")) return Promise.reject(new TypeError("connection refused"));
    return Promise.resolve(
      new Response('{"error":"unsupported_grant_type"}', {
        status: url.includes("broken") ? 502 : 400,
      }),
    );
  };
  let t = 0;
  const configs = await parseProviders({
    live: custom("live"),
    broken: custom("broken"),
    down: custom("down"),
  });
  const rows = await providerHealth(configs, { fetch: fake, now: () => (t += 5) });
  const by = new Map(rows.map((r) => [r.provider, r]));
  assert.equal(by.get("live")!.token!.status, "ok");
  assert.equal(by.get("live")!.token!.detail, "answered 400");
  assert.equal(by.get("broken")!.token!.status, "fail");
  assert.equal(by.get("down")!.token!.status, "fail");
  assert.match(by.get("down")!.token!.detail, /^unreachable/);
  // No credentials are sent: the probe is an invalid grant, nothing else.
  for (const c of calls) {
    assert.equal(c.method, "POST");
    assert.equal(c.body, "grant_type=securix_health_check");
  }
});
