/**
 * The Trust Portal session, attacked over plain HTTP: a portal link works
 * once; a session decides only its own entity's held calls (another
 * entity's approval id is 404 and stays pending); a form post without the
 * session's CSRF token (a JSON body, a cross-site form) is refused; after
 * "Sign out" the old cookie opens nothing.
 */
import assert from "node:assert/strict";
import { startPortal } from "./helpers/portal_start.ts";
import { heldSend, rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name:
    "portal session: links work once; another entity's approval is 404; no CSRF, no change; signed out is out",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
      entities: ["alice", "bob"],
    });
    try {
      const db = env.temp.appliance.database.client;
      const statusOf = async (id: string) =>
        (await db.execute({ sql: "SELECT status FROM approvals WHERE id = ?", args: [id] }))
          .rows[0].status;
      const bobs = await heldSend(env, "bob");
      const alices = await heldSend(env, "alice");

      const minted = await fetch(`${env.base}/v1/portal/urls`, {
        method: "POST",
        headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
        body: JSON.stringify({ entityId: "alice" }),
      });
      const start = new URL((await minted.json()).url);
      const startPath = `${env.base}${start.pathname}${start.search}`;
      const opened = await startPortal(startPath);
      assert.equal(opened.response.status, 303);
      assert.equal(opened.response.headers.get("location"), "/portal");
      const cookie = opened.cookie;
      assert.match(cookie, /^sx_portal=./);
      // Used: the page says so, and nothing is set.
      const again = await fetch(startPath);
      await again.body?.cancel();
      assert.equal(again.status, 410, "a portal link works once");
      assert.equal(again.headers.get("set-cookie"), null);

      const home = await (await fetch(`${env.base}/portal`, { headers: { cookie } })).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(home)![1];
      const post = (path: string, body: BodyInit, type: string, extra: HeadersInit = {}) =>
        fetch(`${env.base}${path}`, {
          method: "POST",
          headers: { cookie, "content-type": type, ...extra },
          body,
          redirect: "manual",
        });
      const form = (fields: Record<string, string>) => new URLSearchParams(fields);
      const FORM = "application/x-www-form-urlencoded";

      // Bob's held call through alice's session: not found, still pending.
      const crossed = await post(
        `/portal/approvals/${bobs}`,
        form({ decision: "approve", csrf }),
        FORM,
      );
      await crossed.body?.cancel();
      assert.equal(crossed.status, 404);
      assert.equal(await statusOf(bobs), "pending");

      // Without the token (a JSON body, or a form another site posted): refused, nothing decided.
      const json = await post(
        `/portal/approvals/${alices}`,
        JSON.stringify({ decision: "approve", csrf }),
        "application/json",
      );
      await json.body?.cancel();
      assert.equal(json.status, 403);
      const forged = await post(
        `/portal/approvals/${alices}`,
        form({ decision: "approve" }),
        FORM,
        { origin: "https://evil.example" },
      );
      await forged.body?.cancel();
      assert.equal(forged.status, 403);
      assert.equal(await statusOf(alices), "pending");

      // Her own, with the token: decided.
      const mine = await post(
        `/portal/approvals/${alices}`,
        form({ decision: "deny", csrf }),
        FORM,
      );
      await mine.body?.cancel();
      assert.equal(mine.status, 303);
      assert.equal(await statusOf(alices), "denied");

      // Signed out: the old cookie opens nothing.
      const out = await post("/portal/sign-out", form({ csrf }), FORM);
      await out.body?.cancel();
      assert.equal(out.status, 200);
      const after = await fetch(`${env.base}/portal`, { headers: { cookie } });
      await after.body?.cancel();
      assert.equal(after.status, 401);
    } finally {
      await env.close();
    }
  },
});
