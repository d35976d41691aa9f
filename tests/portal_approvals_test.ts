/** The portal home lists the signed-in user's own held calls, however many other users have. */
import assert from "node:assert/strict";
import { startPortal } from "./helpers/portal_start.ts";
import { type RulesEnv, rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

async function held(env: RulesEnv, entity: string, n: number): Promise<string> {
  const raw = toBase64Url(`To: bob@acme.com\r\nSubject: Hi ${n}\r\n\r\nHello ${n}\r\n`);
  const res = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
    method: "POST",
    headers: { ...env.headers({ entity }), "content-type": "application/json" },
    body: JSON.stringify({ raw }),
  });
  const body = await res.json();
  assert.equal(body.error.code, "SX-APPROVAL-REQUIRED", JSON.stringify(body));
  return body.error.details.approvalId;
}

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
      const alices = await held(env, "alice", 0);
      for (let i = 1; i <= 50; i++) await held(env, "bob", i);
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
