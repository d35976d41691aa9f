/** The portal home lists the signed-in user's own held calls, however many other users have. */
import assert from "node:assert/strict";
import { startPortal } from "./helpers/portal_start.ts";
import { heldSend, rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name:
    "portal: 50 newer held calls of another user do not push alice's pending approval off her page",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
      entities: ["alice", "bob"],
    });
    try {
      const alices = await heldSend(env, "alice", "0");
      for (let i = 1; i <= 50; i++) await heldSend(env, "bob", String(i));
      const minted = await fetch(`${env.base}/v1/portal/urls`, {
        method: "POST",
        headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
        body: JSON.stringify({ entityId: "alice" }),
      });
      const start = new URL((await minted.json()).url);
      const opened = await startPortal(`${env.base}${start.pathname}${start.search}`);
      const home = await (await fetch(`${env.base}/portal`, { headers: { cookie: opened.cookie } }))
        .text();
      assert.match(
        home,
        new RegExp(`data-approval="${alices}"`),
        "alice's held call is not listed",
      );
      // ?done= shows only the portal's own notices, never an Object property.
      for (const done of ["constructor", "toString"]) {
        const page = await fetch(`${env.base}/portal?done=${done}`, {
          headers: { cookie: opened.cookie },
        });
        assert.doesNotMatch(await page.text(), /native code/, done);
      }
    } finally {
      await env.close();
    }
  },
});
