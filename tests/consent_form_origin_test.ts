/**
 * The consent pages' forms (continue, cancel, the device code) are the
 * user's "yes": another site's form must never press them, even carrying a
 * binding cookie and a CSRF token it somehow got. Refused by the browser's
 * Sec-Fetch-Site, or without it by an Origin that is not the appliance's;
 * the appliance's own posts (Origin null under no-referrer, or its origin)
 * still work.
 */
import assert from "node:assert/strict";
import { loadSession } from "../src/flows/session_store.ts";
import { csrfOf, openDeviceConsent, setup } from "./helpers/flow_env.ts";

const FOREIGN: Array<Record<string, string>> = [
  { origin: "https://evil.example" },
  { "sec-fetch-site": "cross-site" },
  { "sec-fetch-site": "same-site" },
  { "sec-fetch-site": "cross-site", origin: "null" },
];

Deno.test({
  name:
    "consent forms: another site's post is refused with a valid token; the page's own goes through",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await setup();
    try {
      const { browser, sessionId, connectUrl, csrf } = await openDeviceConsent(env, "alice");
      const db = env.appliance.database;
      for (const headers of FOREIGN) {
        for (const action of ["continue", "cancel"]) {
          const res = await browser.go(`${connectUrl}/${action}`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
            body: new URLSearchParams({ csrf }),
          });
          const text = await res.text();
          assert.equal(res.status, 403, `${action} ${JSON.stringify(headers)}: ${text}`);
          assert.match(text, /sent from another site/);
          assert.ok(!/at \w+ \(|\.ts:\d+/.test(text), "no stack trace");
        }
        assert.equal((await loadSession(db, sessionId, Date.now()))?.status, "pending");
      }
      // The device page's code form too.
      const entry = await browser.go(`${env.publicUrl}/device`);
      const refused = await browser.go(`${env.publicUrl}/device`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "https://evil.example",
        },
        body: new URLSearchParams({ csrf: csrfOf(await entry.text()), code: "ABCD-EFGH" }),
      });
      assert.equal(refused.status, 403);

      // The page's own post: Origin null (no-referrer) or Sec-Fetch-Site same-origin.
      const own = await browser.go(`${connectUrl}/continue`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: "null",
          "sec-fetch-site": "same-origin",
        },
        body: new URLSearchParams({ csrf }),
      });
      assert.equal(own.status, 303, await own.text());
      assert.ok(own.headers.get("location")?.startsWith(env.oidc.issuer));
    } finally {
      await env.close();
    }
  },
});
