/** Caddy's On-Demand TLS asks the appliance (tls_ask.ts) through the whole HTTP stack. */
import assert from "node:assert/strict";
import { LOOPBACK_INFO, openTempRuntime, UNREACHABLE_GMAIL } from "./helpers/temp_runtime.ts";

Deno.test("tls-ask: the appliance answers Caddy's on-demand question for its own host only", async () => {
  const { runtime, cleanup } = await openTempRuntime({
    raw: {
      server: { public_url: "https://securix.example.com", base_domain: "example.com" },
      providers: { gmail: UNREACHABLE_GMAIL },
    },
  });
  const ask = async (domain: string) => {
    const res = await runtime.handler(
      new Request(`http://127.0.0.1:8080/.well-known/securix/tls-ask?domain=${domain}`),
      LOOPBACK_INFO,
    );
    await res.body?.cancel();
    return res.status;
  };
  try {
    assert.equal(await ask("securix.example.com"), 200);
    assert.equal(await ask("gmail.api.example.com"), 200);
    assert.equal(await ask("github.api.example.com"), 404);
    assert.equal(await ask("attacker.example"), 404);
  } finally {
    await cleanup();
  }
});
