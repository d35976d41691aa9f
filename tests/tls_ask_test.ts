/** Caddy's On-Demand TLS asks the appliance (tls_ask.ts) through the whole HTTP stack. */
import assert from "node:assert/strict";
import { createRuntime } from "../src/http/runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const INFO = {
  remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" },
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

Deno.test("tls-ask: the appliance answers Caddy's on-demand question for its own host only", async () => {
  const temp = await openTempAppliance({
    raw: {
      server: { public_url: "https://securix.example.com", base_domain: "example.com" },
      providers: {
        gmail: {
          client_id: "c",
          client_secret: "s",
          authorization_url: "http://127.0.0.1:9/authorize",
          token_url: "http://127.0.0.1:9/token",
          api_base_url: "http://127.0.0.1:9",
        },
      },
    },
  });
  const runtime = await createRuntime(temp.appliance, { audit: false, log: () => {} });
  const ask = async (domain: string) => {
    const res = await runtime.handler(
      new Request(`http://127.0.0.1:8080/.well-known/securix/tls-ask?domain=${domain}`),
      INFO,
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
    await runtime.stop();
    await temp.cleanup();
  }
});
