import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sxcHash } from "../src/flows/sxc.ts";
import {
  Browser,
  createPopupSession,
  csrfOf,
  type FlowEnv,
  openDeviceConsent,
  openerAnswer,
  popupToCallback,
  setup,
  startDeviceConsent,
} from "./helpers/flow_env.ts";
import { listRecords } from "../src/audit/read_records.ts";

/** Runs the consent pages from `start` to the provider and back, as a user would. */
async function consent(
  env: FlowEnv,
  browser: Browser,
  connectUrl: string,
) {
  const page = await browser.go(connectUrl);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /demo/, "the consent page names the app");
  const sessionPath = new URL(connectUrl).pathname;
  const started = await browser.form(`${env.publicUrl}${sessionPath}/continue`, {
    csrf: csrfOf(html),
  });
  assert.equal(started.status, 303);
  const providerUrl = started.headers.get("location")!;
  assert.ok(providerUrl.startsWith(env.oidc.issuer), providerUrl);
  assert.match(providerUrl, /code_challenge_method=S256/);
  const callback = await env.oidc.loginAndConsent(providerUrl, { accountId: "alice" });
  return await browser.go(callback);
}

Deno.test("consent + proxy: device flow, then an agent calls the API through the proxy", async () => {
  const env = await setup();
  try {
    const created = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({ entityId: "user-1", flow: "device", providers: { gmail: {} } }),
    });
    assert.equal(created.status, 201);
    const session = await created.json();
    assert.match(session.deviceAuthCode, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    assert.equal(session.authUrl, `${env.publicUrl}/device`);

    const browser = new Browser();
    const entry = await browser.go(session.authUrl);
    const typed = session.deviceAuthCode.replace("-", "").toLowerCase();
    const entered = await browser.form(`${env.publicUrl}/device`, {
      csrf: csrfOf(await entry.text()),
      code: typed,
    });
    assert.equal(entered.status, 303);
    const done = await consent(env, browser, `${env.publicUrl}${entered.headers.get("location")}`);
    assert.equal(done.status, 200);
    const doneHtml = await done.text();
    assert.match(doneHtml, /connected/i);

    const status = await (await env.api("/v1/auth/status?entityId=user-1")).json();
    assert.equal(status.status, "AUTH_SUCCESS");
    assert.equal(status.providers.gmail.status, "active");
    const token = await env.vaultToken("user-1");
    assert.equal(JSON.stringify(status).includes(token), false, "no token in API answers");
    assert.equal(doneHtml.includes(token), false, "no token in pages");

    env.setExpected(token);
    const headers = {
      "securix-api-key": env.apiKey,
      "securix-entity-id": "user-1",
      "securix-agent-id": "agent-1",
    };
    const proxied = await fetch(
      `${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages?q=secret`,
      {
        headers: { ...headers, authorization: "Bearer caller-supplied", cookie: "x=1" },
      },
    );
    assert.equal(proxied.status, 200, await proxied.clone().text());
    assert.deepEqual(await proxied.json(), {
      messages: [{ id: "m1" }],
      path: "/gmail/v1/users/me/messages",
    });

    const unknownAgent = await fetch(`${env.publicUrl}/proxy/gmail/x`, {
      headers: { ...headers, "securix-agent-id": "nobody" },
    });
    assert.equal(unknownAgent.status, 403);
    assert.equal((await unknownAgent.json()).error.code, "SX-AGENT-UNKNOWN");
    const noConnection = await fetch(`${env.publicUrl}/proxy/gmail/x`, {
      headers: { ...headers, "securix-entity-id": "user-2" },
    });
    assert.equal(noConnection.status, 401);
    const body = await noConnection.json();
    assert.equal(body.error.code, "SX-NOT-CONNECTED");
    assert.match(body.error.llmError, /device code/);
    const traversal = await fetch(`${env.publicUrl}/proxy/gmail/a/%2e%2e%2fb`, { headers });
    assert.equal(traversal.status, 400);
    await traversal.body?.cancel();

    // Pause and resume through the app API: the proxy refuses while paused, at once.
    const conn = (await (await env.api("/v1/connections?entityId=user-1")).json()).connections[0];
    const paused = await env.api(`/v1/connections/${conn.id}/pause`, { method: "POST" });
    assert.equal(paused.status, 200);
    assert.equal((await paused.json()).status, "paused");
    const whilePaused = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
      headers,
    });
    assert.equal(whilePaused.status, 403);
    assert.equal((await whilePaused.json()).error.code, "SX-PAUSED");
    const twice = await env.api(`/v1/connections/${conn.id}/pause`, { method: "POST" });
    assert.equal(twice.status, 409);
    assert.equal((await twice.json()).error.code, "SX-CONNECTION-STATE");
    const resumed = await env.api(`/v1/connections/${conn.id}/resume`, { method: "POST" });
    assert.equal((await resumed.json()).status, "active");
    const again = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
      headers,
    });
    assert.equal(again.status, 200);
    await again.body?.cancel();
    const foreign = await env.api("/v1/connections/con_nope/pause", { method: "POST" });
    assert.equal(foreign.status, 404);
    await foreign.body?.cancel();

    // Revoke: the proxy refuses at once.
    assert.equal((await env.api(`/v1/connections/${conn.id}`, { method: "DELETE" })).status, 204);
    const after = await fetch(`${env.publicUrl}/proxy/gmail/x`, { headers });
    assert.equal(after.status, 401);
    await after.body?.cancel();

    await env.runtime.audit!.flush();
    const audit = await listRecords(env.appliance.database.db, { kinds: "proxy.request" });
    assert.ok(audit.length >= 4);
    const dump = JSON.stringify(audit);
    assert.equal(dump.includes("secret"), false, "query values never reach the audit log");
    assert.equal(dump.includes(token), false);
  } finally {
    await env.close();
  }
});

Deno.test("consent: popup flow needs the sxc reveal; wrong sxc, replayed and foreign state are refused", async () => {
  const env = await setup();
  try {
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    // The done page posts its result only to a registered origin: any other is refused up front.
    const evil = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({
        entityId: "user-9",
        flow: "popup",
        providers: { gmail: {} },
        sxcHash: sxcHash(sxc),
        origin: "https://evil.example",
      }),
    });
    assert.equal(evil.status, 400);
    assert.equal((await evil.json()).error.code, "SX-ORIGIN-NOT-ALLOWED");
    // Another browser presenting the callback is refused (state bound to the browser), and the
    // state is burnt: a victim talked into sending their callback URL back to whoever started
    // the sign-in cannot let that browser finish it either.
    const forwarded = await popupToCallback(env, "user-9", sxc, "bob");
    const foreign = await new Browser().go(forwarded.callback);
    assert.equal(foreign.status, 400);
    assert.match(await foreign.text(), /SX-STATE-FOREIGN|another browser/);
    const afterForeign = await forwarded.browser.go(forwarded.callback);
    assert.equal(afterForeign.status, 400);
    assert.match(await afterForeign.text(), /SX-STATE-REPLAYED|already used/);

    const { session, browser, callback } = await popupToCallback(env, "user-9", sxc, "bob");

    const done = await browser.go(callback);
    assert.equal(done.status, 200);
    const doneHtml = await done.text();
    assert.match(doneHtml, /data-target-origin="http:\/\/127\.0\.0\.1:3000"/);
    const replay = await browser.go(callback);
    assert.equal(replay.status, 400);
    await replay.body?.cancel();

    // Before the reveal the connection is pending and unusable.
    const pending = await (await env.api("/v1/connections?entityId=user-9")).json();
    assert.equal(pending.connections[0].status, "pending");
    const wrong = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
      method: "POST",
      body: JSON.stringify({ sxc: sxc + "x" }),
    });
    assert.equal(wrong.status, 403);
    assert.equal((await wrong.json()).error.code, "SX-SXC-MISMATCH");
    const [mismatch] = await listRecords(env.appliance.database.db, {
      kinds: "session.sxc_mismatch",
    });
    assert.deepEqual(mismatch.data, { sessionId: session.sessionId, flow: "popup", failures: 1 });
    assert.equal(JSON.stringify(mismatch).includes(sxc), false, "no sxc in the audit log");
    const right = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
      method: "POST",
      body: JSON.stringify({ sxc }),
    });
    assert.equal(right.status, 200);
    assert.equal((await right.json()).status, "AUTH_SUCCESS");
    const active = await (await env.api("/v1/connections?entityId=user-9")).json();
    assert.equal(active.connections[0].status, "active");
    assert.equal(active.connections[0].account.id, "bob");
  } finally {
    await env.close();
  }
});

Deno.test("consent: a second sign-in of a step already connected is refused; the first account stands, the second token is revoked, never stored", async () => {
  const env = await setup();
  const vaultRows = async () =>
    (await env.appliance.database.client.execute(
      "SELECT id FROM vault_records WHERE purpose = 'provider-credential'",
    )).rows.length;
  try {
    // Popup: Continue pressed twice holds two states of one step; the first sign-in connects
    // alice and the session awaits the app's confirm; a sign-in as mallory must change nothing.
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    const session = await createPopupSession(env, "user-7", sxc);
    const browser = new Browser();
    const html = await (await browser.go(session.authUrl)).text();
    const first = await browser.form(`${session.authUrl}/continue`, {
      csrf: csrfOf(html),
      ...openerAnswer(html, session.sessionId, sxc),
    });
    const again = await browser.form(`${session.authUrl}/continue`, {
      csrf: csrfOf(await (await browser.go(session.authUrl)).text()),
    });
    assert.equal(first.status, 303);
    assert.equal(again.status, 303);
    const asAlice = await env.oidc.loginAndConsent(first.headers.get("location")!, {
      accountId: "alice",
    });
    const asMallory = await env.oidc.loginAndConsent(again.headers.get("location")!, {
      accountId: "mallory",
    });
    assert.equal((await browser.go(asAlice)).status, 200);
    const stored = await vaultRows();
    env.oidc.stats.reset();
    const second = await browser.go(asMallory);
    assert.equal(second.status, 400);
    assert.match(await second.text(), /already has a .* account connected/);
    assert.equal(env.oidc.stats.revocationCalls, 1, "the unused token is revoked at the provider");
    assert.equal(await vaultRows(), stored, "and not kept in the vault");
    const confirmed = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
      method: "POST",
      body: JSON.stringify({ sxc }),
    });
    assert.equal(confirmed.status, 200);
    assert.equal((await confirmed.json()).providers.gmail.account.id, "alice");

    // Device: two sign-ins of one step racing: exactly one connects, one is refused.
    const device = await openDeviceConsent(env, "user-8");
    const states = await Promise.all([1, 2].map(async () => {
      const started = await device.browser.form(`${device.connectUrl}/continue`, {
        csrf: device.csrf,
      });
      return started.headers.get("location")!;
    }));
    const callbacks = await Promise.all(
      states.map((url, i) => env.oidc.loginAndConsent(url, { accountId: `racer-${i}` })),
    );
    const answers = await Promise.all(callbacks.map(async (url) => {
      const res = await device.browser.go(url);
      await res.body?.cancel();
      return res.status;
    }));
    assert.deepEqual(answers.sort(), [200, 400]);
    const { connections } = await (await env.api("/v1/connections?entityId=user-8")).json();
    assert.equal(connections.length, 1);
    assert.equal(connections[0].status, "active");
    assert.equal(await vaultRows(), stored + 1, "one credential for the one connection");
    assert.equal(env.oidc.stats.revocationCalls, 2, "the racer that lost is revoked too");
  } finally {
    await env.close();
  }
});

Deno.test("consent: a popup no browser has proven is cancelled only by the window the app opened", async () => {
  const env = await setup();
  try {
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    const session = await createPopupSession(env, "user-6", sxc);
    const status = async () =>
      (await (await env.api(`/v1/auth/sessions/${session.sessionId}`)).json()).status;
    // Someone who saw the link (no opener, so no proof): the form is theirs, the session is not.
    const stranger = new Browser();
    const strangers = await (await stranger.go(session.authUrl)).text();
    const refused = await stranger.form(`${session.authUrl}/cancel`, { csrf: csrfOf(strangers) });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /Only the window the app opened can cancel/);
    assert.equal(await status(), "pending");
    // The popup the app opened posts its opener proof with Cancel, as with Continue.
    const popup = new Browser();
    const html = await (await popup.go(session.authUrl)).text();
    const cancelled = await popup.form(`${session.authUrl}/cancel`, {
      csrf: csrfOf(html),
      ...openerAnswer(html, session.sessionId, sxc),
    });
    const page = await cancelled.text();
    assert.equal(cancelled.status, 400, page);
    assert.equal(await status(), "failed");
  } finally {
    await env.close();
  }
});

Deno.test("consent: scopes outside the allowlist, unknown providers, and 20 wrong device codes", async () => {
  const env = await setup();
  try {
    const unknown = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({ entityId: "u", flow: "device", providers: { nope: {} } }),
    });
    assert.equal((await unknown.json()).error.code, "SX-UNKNOWN-PROVIDER");
    const disabled = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({ entityId: "u", flow: "device", providers: { github: {} } }),
    });
    assert.equal((await disabled.json()).error.code, "SX-PROVIDER-DISABLED");
    const noKey = await fetch(`${env.publicUrl}/v1/auth/status?entityId=u`);
    assert.equal(noKey.status, 401);
    await noKey.body?.cancel();

    const attacker = new Browser();
    const page = await attacker.go(`${env.publicUrl}/device`);
    const csrf = csrfOf(await page.text());
    let last: Response | null = null;
    for (let i = 0; i < 20; i++) {
      last = await attacker.form(`${env.publicUrl}/device`, {
        csrf,
        code: `BCDF${String(2000 + i).slice(-4)}`.replace(/[01]/g, "9"),
      });
      await last.body?.cancel();
    }
    assert.equal(last!.status, 429, "locked out after repeated wrong codes");

    // The right user, from another address, is not locked out.
    const created = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({ entityId: "u", flow: "device", providers: { gmail: {} } }),
    });
    const { deviceAuthCode } = await created.json();
    const user = new Browser();
    const entry = await user.go(`${env.publicUrl}/device`, {
      headers: { "x-forwarded-for": "198.51.100.7" },
    });
    const ok = await user.go(`${env.publicUrl}/device`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-forwarded-for": "198.51.100.7",
      },
      body: new URLSearchParams({ csrf: csrfOf(await entry.text()), code: deviceAuthCode }),
    });
    assert.equal(ok.status, 303);
    await ok.body?.cancel();

    const outside = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({
        entityId: "u",
        flow: "device",
        providers: { gmail: { scopes: ["https://www.googleapis.com/auth/gmail.send"] } },
      }),
    });
    assert.equal(outside.status, 400);
    assert.equal((await outside.json()).error.code, "SX-SCOPE-NOT-ALLOWED");
  } finally {
    await env.close();
  }
});

Deno.test("consent: an expired session ends with a reason and cannot be used", async () => {
  let clock = Date.now();
  const env = await setup({ now: () => clock });
  try {
    const created = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({ entityId: "late", flow: "device", providers: { gmail: {} } }),
    });
    const session = await created.json();
    clock += 11 * 60_000;
    const polled = await (await env.api(`/v1/auth/sessions/${session.sessionId}`)).json();
    assert.equal(polled.status, "expired");
    assert.equal(polled.reason, "session_expired");
    const browser = new Browser();
    const entry = await browser.go(`${env.publicUrl}/device`);
    const entered = await browser.form(`${env.publicUrl}/device`, {
      csrf: csrfOf(await entry.text()),
      code: session.deviceAuthCode,
    });
    assert.equal(entered.status, 400);
    assert.match(await entered.text(), /expired/);
  } finally {
    await env.close();
  }
});

Deno.test("consent: the user denying at the provider ends the session with access_denied", async () => {
  const env = await setup();
  try {
    const { browser, sessionId, providerUrl } = await startDeviceConsent(env, "no");
    const state = new URL(providerUrl).searchParams.get("state")!;
    // What the provider sends back when the user clicks "deny".
    const denied = await browser.go(
      `${env.publicUrl}/oauth/callback?error=access_denied&state=${state}`,
    );
    assert.equal(denied.status, 400);
    assert.match(await denied.text(), /declined/);
    const polled = await (await env.api(`/v1/auth/sessions/${sessionId}`)).json();
    assert.equal(polled.status, "failed");
    assert.equal(polled.reason, "access_denied");
    const status = await (await env.api("/v1/auth/status?entityId=no")).json();
    assert.equal(status.status, "AUTH_FAILURE");
  } finally {
    await env.close();
  }
});

Deno.test("consent: concurrent wrong sxc reveals are each counted; past the limit the session fails", async () => {
  const env = await setup();
  try {
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    const { session, browser, callback } = await popupToCallback(env, "user-7", sxc, "eve");
    assert.equal((await browser.go(callback)).status, 200);

    const confirm = async (value: string) => {
      const res = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
        method: "POST",
        body: JSON.stringify({ sxc: value }),
      });
      return { status: res.status, code: (await res.json()).error?.code };
    };
    const guesses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => confirm(`${sxc.slice(0, -2)}${i}x`)),
    );
    // A guess that arrives after the fifth finds the session already failed.
    const counted = guesses.filter((g) => g.code === "SX-SXC-MISMATCH").length;
    for (const guess of guesses) {
      assert.ok(["SX-SXC-MISMATCH", "SX-SESSION-ENDED"].includes(guess.code), guess.code);
    }
    assert.ok(counted >= 5, `${counted} guesses counted`);
    const records = await listRecords(env.appliance.database.db, {
      kinds: "session.sxc_mismatch",
    });
    // Each counted once: no two concurrent guesses shared a count under the limit.
    assert.deepEqual(
      records.map((r) => r.data.failures).sort(),
      Array.from({ length: counted }, (_, i) => i + 1),
    );
    const failed = await listRecords(env.appliance.database.db, { kinds: "session.failed" });
    assert.equal(failed.length, 1);
    assert.equal(failed[0].data.reason, "sxc_mismatch");
    // The right sxc comes too late: the session has failed for good.
    const late = await confirm(sxc);
    assert.notEqual(late.status, 200);
    assert.equal(late.code, "SX-SESSION-ENDED");
  } finally {
    await env.close();
  }
});
