/**
 * The Trust Portal's one-time link, attacked over plain HTTP. A GET of the
 * link only shows a button: a mail scanner or chat preview that fetches it
 * (any number of times) uses nothing. Only the button's POST uses it, and
 * only from the appliance's own page: another site's form (foreign Origin or
 * Sec-Fetch-Site, no browser-binding cookie, no or another browser's CSRF
 * token) is refused and leaves the link usable. A browser already in
 * another account's portal is told whose page the link switches it to, and
 * the replaced session ends.
 */
import assert from "node:assert/strict";
import { startPortal } from "./helpers/portal_start.ts";
import { type RulesEnv, rulesEnv } from "./helpers/rules_env.ts";

async function mint(env: RulesEnv, entityId: string): Promise<string> {
  const minted = await fetch(`${env.base}/v1/portal/urls`, {
    method: "POST",
    headers: { "securix-api-key": env.apiKey(), "content-type": "application/json" },
    body: JSON.stringify({ entityId }),
  });
  const { url } = await minted.json();
  assert.equal(minted.status, 201, url);
  const start = new URL(url);
  return `${env.base}${start.pathname}${start.search}`;
}

/** What a GET of the link shows: status, the page, its Set-Cookie headers. */
async function show(url: string, cookie?: string) {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  return { status: res.status, text: await res.text(), cookies: res.headers.getSetCookie() };
}

Deno.test({
  name:
    "portal start: a GET uses nothing; a cross-site POST is refused; the button's POST works once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({ entities: ["alice", "bob"] });
    try {
      const url = await mint(env, "alice");
      // A link scanner, then a chat preview: both see the button, neither gets a session.
      for (let i = 0; i < 2; i++) {
        const seen = await show(url);
        assert.equal(seen.status, 200, seen.text);
        assert.match(seen.text, /Open your Securix privacy page for <strong>demo<\/strong>/);
        assert.match(seen.text, /<form method="post" action="\/portal\/start"/);
        assert.equal(seen.cookies.some((c) => c.startsWith("sx_portal=")), false);
      }

      // What the page gives this browser: the binding cookie and the tokens.
      const page = await fetch(url);
      const html = await page.text();
      const binding = page.headers.getSetCookie()[0].split(";")[0];
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
      const t = /name="t" value="([^"]+)"/.exec(html)![1];
      const post = async (
        headers: Record<string, string>,
        fields: Record<string, string> = { t, csrf },
      ) => {
        const res = await fetch(`${env.base}/portal/start`, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
          body: new URLSearchParams(fields),
          redirect: "manual",
        });
        const text = await res.text();
        return {
          status: res.status,
          text,
          session: res.headers.getSetCookie().some((c) => c.startsWith("sx_portal=")),
        };
      };
      // Another site's form: refused whatever else it carries, and the link stays unused.
      const forged = [
        await post({ cookie: binding, origin: "https://evil.example" }),
        await post({ cookie: binding, "sec-fetch-site": "cross-site" }),
        await post({ cookie: binding, "sec-fetch-site": "same-site" }),
        await post({ origin: "https://evil.example" }),
        // What a cross-site form can send: no binding cookie (SameSite), so no valid token.
        await post({ "sec-fetch-site": "same-origin" }),
        await post({ cookie: binding }, { t }),
        await post({ cookie: "securix-binding=" + "A".repeat(43) }),
      ];
      for (const [i, refused] of forged.entries()) {
        assert.equal(refused.status, 403, `forged post #${i}: ${refused.text}`);
        assert.match(refused.text, /SX-CSRF/);
        assert.equal(refused.session, false, `forged post #${i} got a session`);
      }
      assert.equal((await show(url)).status, 200, "the link is still unused");

      // The button: once.
      const pressed = await post({
        cookie: binding,
        origin: env.base,
        "sec-fetch-site": "same-origin",
      });
      assert.equal(pressed.status, 303, pressed.text);
      assert.equal(pressed.session, true);
      const twice = await post({ cookie: binding, "sec-fetch-site": "same-origin" });
      assert.equal(twice.status, 410);
      assert.match(twice.text, /already used/);
      assert.equal(twice.session, false);
      const after = await show(url);
      assert.equal(after.status, 410);
      assert.match(after.text, /already used/);

      const unknown = await show(`${env.base}/portal/start?t=made-up`);
      assert.equal(unknown.status, 404);
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "portal start: with another account's portal open, the page names both and switching ends the old session",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({ entities: ["alice", "bob"] });
    try {
      const alice = await startPortal(await mint(env, "alice"));
      assert.match(alice.cookie, /^sx_portal=./);
      // Her own second link: nothing to warn about.
      const own = await show(await mint(env, "alice"), alice.cookie);
      assert.equal(own.status, 200);
      assert.doesNotMatch(own.text, /data-portal-switch/);
      assert.match(own.text, /Open my privacy page/);

      // Someone else's link (sent to her to sign her in as them): said plainly, not silent.
      const bobsUrl = await mint(env, "bob");
      const switching = await show(bobsUrl, alice.cookie);
      assert.equal(switching.status, 200);
      assert.match(switching.text, /data-portal-switch/);
      assert.match(
        switching.text,
        /open as <strong>alice<\/strong> for <strong>demo<\/strong>[\s\S]*<strong>bob<\/strong> for <strong>demo<\/strong>/,
      );
      assert.match(switching.text, />Switch to bob</);
      // Showing the page changed nothing: she is still in her own portal.
      const still = await fetch(`${env.base}/portal`, { headers: { cookie: alice.cookie } });
      assert.match(await still.text(), /Signed in as alice/);

      const bob = await startPortal(bobsUrl, { cookie: alice.cookie });
      assert.equal(bob.response.status, 303);
      const home = await fetch(`${env.base}/portal`, { headers: { cookie: bob.cookie } });
      assert.match(await home.text(), /Signed in as bob/);
      const old = await fetch(`${env.base}/portal`, { headers: { cookie: alice.cookie } });
      await old.body?.cancel();
      assert.equal(old.status, 401, "the replaced session ended");
    } finally {
      await env.close();
    }
  },
});
