/** A connection whose provider named no account says so on the portal, not a bare "Account". */
import assert from "node:assert/strict";
import { startPortal } from "./helpers/portal_start.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "portal: an account the provider did not name is shown as such on both pages",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({ rules: [], entities: ["alice"] });
    try {
      const minted = await fetch(`${env.base}/v1/portal/urls`, {
        method: "POST",
        headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
        body: JSON.stringify({ entityId: "alice" }),
      });
      const start = new URL((await minted.json()).url);
      const opened = await startPortal(`${env.base}${start.pathname}${start.search}`);
      const home = await (await fetch(`${env.base}/portal`, { headers: { cookie: opened.cookie } }))
        .text();
      assert.doesNotMatch(home, /<p>Account<\/p>/);
      assert.match(home, /<p>Gmail did not say which account<\/p>/);
      const link = home.match(/href="(\/portal\/connections\/[^"]+)"/)![1];
      const page = await (await fetch(`${env.base}${link}`, { headers: { cookie: opened.cookie } }))
        .text();
      assert.match(page, /did not say which account<\/p>/);
    } finally {
      await env.close();
    }
  },
});
