/**
 * `trust_proxy` on a served appliance: X-Forwarded-Host routes to a provider
 * only when the socket peer is a trusted proxy; from any other peer it is
 * ignored like X-Forwarded-For.
 */
import assert from "node:assert/strict";
import { served } from "./helpers/served_gmail.ts";

async function viaForwardedHost(trustProxy: boolean | string[]): Promise<string | undefined> {
  const env = await served(trustProxy);
  try {
    const res = await fetch(`${env.base}/gmail/v1/users/me/messages`, {
      headers: { ...env.good, "x-forwarded-host": "gmail.api.localhost" },
    });
    const body = await res.json().catch(() => ({}));
    return res.status === 200 ? "proxied" : body.error?.code;
  } finally {
    await env.close();
  }
}

Deno.test("trust_proxy: X-Forwarded-Host counts only from a trusted peer", async () => {
  assert.equal(await viaForwardedHost(true), "proxied", "loopback is trusted with true");
  assert.equal(await viaForwardedHost(["127.0.0.1/32"]), "proxied");
  assert.notEqual(
    await viaForwardedHost(["10.0.0.0/8"]),
    "proxied",
    "127.0.0.1 is not in the list",
  );
  assert.notEqual(await viaForwardedHost(false), "proxied");
});

Deno.test("trust_proxy: from an untrusted peer X-Forwarded-Host is ignored: the path is the appliance's own, not found", async () => {
  assert.equal(await viaForwardedHost(["10.0.0.0/8"]), "SX-NOT-FOUND");
  assert.equal(await viaForwardedHost(false), "SX-NOT-FOUND");
});
