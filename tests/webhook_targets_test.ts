/**
 * Webhooks are not a way into the appliance's own network: with the default
 * `allow_private_targets = false`, the API refuses loopback and private
 * targets when an endpoint is added.
 */
import assert from "node:assert/strict";
import { setup } from "./helpers/flow_env.ts";

Deno.test("webhook targets: loopback and private addresses are refused by POST /v1/webhooks", async () => {
  const env = await setup();
  try {
    for (
      const url of [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "http://[::1]:9/hook",
        "http://169.254.169.254/latest/meta-data",
      ]
    ) {
      const res = await env.api("/v1/webhooks", {
        method: "POST",
        body: JSON.stringify({ url }),
      });
      const body = await res.json();
      assert.equal(res.status, 400, url);
      assert.equal(body.error.code, "SX-WEBHOOK-TARGET-REFUSED", url);
    }
    const listed = await (await env.api("/v1/webhooks")).json();
    assert.equal(JSON.stringify(listed).includes("hook"), false, "nothing was stored");
  } finally {
    await env.close();
  }
});
