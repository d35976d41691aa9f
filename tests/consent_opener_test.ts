/**
 * Consent-link forwarding, over HTTP: a popup session's consent link only reaches the
 * provider from a browser whose consent form carries the opener proof (what the SDK
 * in the app's page answers to consent_binding.js). Browser runs of the same attack
 * are in tests/browser/consent_e2e_test.ts.
 */
import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { oauthStates } from "../src/db/schema.ts";
import {
  Browser,
  createPopupSession,
  csrfOf,
  type FlowEnv,
  openDeviceConsent,
  openerAnswer,
  setup,
} from "./helpers/flow_env.ts";

const APP_ORIGIN = "http://127.0.0.1:3000";

const newSxc = () => encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));

async function stateRows(env: FlowEnv, sessionId: string) {
  return (await env.appliance.database.db.select().from(oauthStates).where(
    eq(oauthStates.sessionId, sessionId),
  )).length;
}

Deno.test("consent link forwarded: no opener proof, no provider, no confirmation", async () => {
  const env = await setup();
  try {
    const attackerSxc = newSxc();
    const session = await createPopupSession(env, "attacker", attackerSxc);

    // The victim opens the forwarded link in their own browser.
    const victim = new Browser();
    const page = await victim.go(session.authUrl);
    assert.equal(page.status, 200);
    const html = await page.text();
    const csrf = csrfOf(html);
    // Pressing Continue without the opener's proof (what the old appliance accepted).
    const bare = await victim.form(`${session.authUrl}/continue`, { csrf });
    assert.equal(bare.status, 403, "a forwarded link must not reach the provider");
    assert.equal(bare.headers.get("location"), null);
    await bare.body?.cancel();

    assert.match(html, /data-consent-continue="true" disabled>/);
    assert.match(html, /src="\/assets\/consent_binding\.[A-Za-z0-9_-]{12}\.js"/);
    assert.match(html, new RegExp(`data-origins="\\[&quot;${APP_ORIGIN.replaceAll(".", "\\.")}`));
    const good = openerAnswer(html, session.sessionId, attackerSxc);

    const attempts: Record<string, Record<string, string>> = {
      "no proof at all": { csrf },
      "nonce only": { csrf, nonce: good.nonce },
      "proof for an unregistered origin": {
        csrf,
        ...openerAnswer(html, session.sessionId, attackerSxc, "https://evil.example"),
      },
      "registered origin named, proof made for another": {
        csrf,
        ...openerAnswer(html, session.sessionId, attackerSxc, "https://evil.example"),
        origin: APP_ORIGIN,
      },
      "proof from another sxc (the legit app's own session)": {
        csrf,
        ...openerAnswer(html, session.sessionId, newSxc()),
      },
      "proof for a made-up nonce": {
        csrf,
        ...good,
        nonce: "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      },
    };
    for (const [what, fields] of Object.entries(attempts)) {
      const res = await victim.form(`${session.authUrl}/continue`, fields);
      assert.equal(res.status, 403, what);
      assert.equal(res.headers.get("location"), null, `${what}: not sent to the provider`);
      const body = await res.text();
      assert.match(body, /SX-OPENER-UNVERIFIED/, what);
      assert.match(
        body,
        /This link was not opened by demo/,
      );
    }
    assert.equal(await stateRows(env, session.sessionId), 0, "no OAuth state was started");
    assert.equal(env.oidc.stats.tokenCalls.authorization_code ?? 0, 0);

    // The warning page the consent script sends such a browser to.
    const warning = await victim.go(`${session.authUrl}/unverified`);
    assert.equal(warning.status, 403);
    const warningHtml = await warning.text();
    assert.match(warningHtml, /If someone sent you this link, close this page/);
    assert.doesNotMatch(warningHtml, /<form/, "no way on to the provider");

    // The attacker cannot confirm: the session never reached the provider.
    const confirm = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
      method: "POST",
      body: JSON.stringify({ sxc: attackerSxc }),
    });
    assert.equal(confirm.status, 409);
    assert.equal((await confirm.json()).error.code, "SX-SESSION-NOT-READY");
    const polled = await (await env.api(`/v1/auth/sessions/${session.sessionId}`)).json();
    assert.equal(polled.status, "pending");
  } finally {
    await env.close();
  }
});

Deno.test("consent opener proof: bound to the browser it was issued to; the first proven browser keeps the session", async () => {
  const env = await setup();
  try {
    const sxc = newSxc();
    const session = await createPopupSession(env, "user-1", sxc);

    // A nonce (and proof) obtained in one browser does not work in another.
    const other = new Browser();
    const otherHtml = await (await other.go(session.authUrl)).text();
    const mine = new Browser();
    const myHtml = await (await mine.go(session.authUrl)).text();
    const carried = await mine.form(`${session.authUrl}/continue`, {
      csrf: csrfOf(myHtml),
      ...openerAnswer(otherHtml, session.sessionId, sxc),
    });
    assert.equal(carried.status, 403);
    await carried.body?.cancel();

    // The genuine popup: bound, sent on to the provider.
    const started = await mine.form(`${session.authUrl}/continue`, {
      csrf: csrfOf(myHtml),
      ...openerAnswer(myHtml, session.sessionId, sxc),
    });
    assert.equal(started.status, 303);
    assert.ok(started.headers.get("location")!.startsWith(env.oidc.authorizationUrl));
    assert.equal(await stateRows(env, session.sessionId), 1);

    // Bound now: the page in this browser needs no more proof ...
    const again = await (await mine.go(session.authUrl)).text();
    assert.doesNotMatch(again, /data-nonce=/);
    // ... and another browser, even with a valid proof, is refused.
    const late = await other.form(`${session.authUrl}/continue`, {
      csrf: csrfOf(otherHtml),
      ...openerAnswer(otherHtml, session.sessionId, sxc),
    });
    assert.equal(late.status, 403);
    assert.match(await late.text(), /another browser/);
    assert.equal(await stateRows(env, session.sessionId), 1);
  } finally {
    await env.close();
  }
});

Deno.test("device consent page names the app, its origin and when the request started", async () => {
  const env = await setup();
  try {
    const { html } = await openDeviceConsent(env, "tv");
    assert.match(html, /Requested by<\/dt><dd>demo<\/dd>/);
    assert.match(html, /App website<\/dt><dd>http:\/\/127\.0\.0\.1:3000<\/dd>/);
    assert.equal(html.split("http://127.0.0.1:3000").length - 1, 1, "the origin is shown once");
    assert.match(
      html,
      /Started<\/dt><dd><time datetime="\d{4}-\d\d-\d\dT[^"]+">just now \(\d\d:\d\d UTC\)/,
    );
    assert.doesNotMatch(html, /data-nonce=/, "the device flow keeps its code, no opener check");

    const foreign = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({
        entityId: "tv",
        flow: "device",
        providers: { gmail: {} },
        origin: "https://evil.example",
      }),
    });
    assert.equal(foreign.status, 400);
    assert.equal((await foreign.json()).error.code, "SX-ORIGIN-NOT-ALLOWED");
  } finally {
    await env.close();
  }
});
