import assert from "node:assert/strict";
import { TLS_ASK_PATH, tlsAskRoutes } from "./tls_ask.ts";

Deno.test("tls-ask: 200 only for the public host and proxy hosts of enabled providers", async () => {
  const enabled = new Set(["gmail"]);
  const app = tlsAskRoutes({
    publicUrl: "https://securix.example.com:8443",
    baseDomain: "example.com",
    providers: () => enabled,
  });
  const ask = async (domain: string) =>
    (await app.request(`${TLS_ASK_PATH}?domain=${encodeURIComponent(domain)}`)).status;
  assert.equal(await ask("securix.example.com"), 200);
  assert.equal(await ask("SECURIX.example.com."), 200, "case and a trailing dot do not matter");
  assert.equal(await ask("gmail.api.example.com"), 200);
  assert.equal(await ask("github.api.example.com"), 404, "a provider that is not enabled");
  assert.equal(await ask("x.gmail.api.example.com"), 404);
  assert.equal(await ask("api.example.com"), 404);
  assert.equal(await ask("evil.example"), 404);
  assert.equal(await ask(""), 404);
  assert.equal((await app.request(TLS_ASK_PATH)).status, 404, "no domain at all");
  enabled.add("github");
  assert.equal(await ask("github.api.example.com"), 200, "follows the providers enabled now");
});
