/**
 * Device codes: attempts are limited per code, not only per client address.
 * A valid code someone shoulder-surfed or intercepted, entered in browsers
 * other than the one it is bound to, ends after DEVICE_FAILURES_PER_CODE
 * entries even when each comes from another address (X-Forwarded-For, the
 * appliance trusting its proxy), and the device's poll sees the end.
 */
import assert from "node:assert/strict";
import { DEVICE_FAILURES_PER_CODE } from "../src/flows/device_entry.ts";
import { Browser, csrfOf, type FlowEnv, setup } from "./helpers/flow_env.ts";

/** `browser` at client address `address` types `code` on /device. */
async function enterAt(env: FlowEnv, browser: Browser, address: string, code: string) {
  const headers = { "x-forwarded-for": address };
  const entry = await browser.go(`${env.publicUrl}/device`, { headers });
  return await browser.go(`${env.publicUrl}/device`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf: csrfOf(await entry.text()), code }),
  });
}

async function deviceSession(env: FlowEnv, entityId: string) {
  const created = await env.api("/v1/auth/sessions", {
    method: "POST",
    body: JSON.stringify({ entityId, flow: "device", providers: { gmail: {} } }),
  });
  assert.equal(created.status, 201);
  return await created.json() as { sessionId: string; deviceAuthCode: string };
}

Deno.test("device code: a few foreign entries below the limit leave the bound browser's consent working", async () => {
  const env = await setup();
  try {
    const { sessionId, deviceAuthCode } = await deviceSession(env, "user-ok");
    const user = new Browser();
    const entered = await enterAt(env, user, "198.51.100.1", deviceAuthCode);
    assert.equal(entered.status, 303);
    const connectUrl = `${env.publicUrl}${entered.headers.get("location")}`;
    for (let i = 0; i < 2; i++) {
      const foreign = await enterAt(env, new Browser(), `203.0.113.${i + 1}`, deviceAuthCode);
      assert.equal(foreign.status, 400);
      assert.match(await foreign.text(), /already used/);
    }
    const page = await user.go(connectUrl);
    assert.equal(page.status, 200);
    const started = await user.form(`${connectUrl}/continue`, { csrf: csrfOf(await page.text()) });
    assert.equal(started.status, 303);
    const callback = await env.oidc.loginAndConsent(started.headers.get("location")!, {
      accountId: "alice",
    });
    const done = await user.go(callback);
    assert.equal(done.status, 200);
    await done.body?.cancel();
    const polled = await (await env.api(`/v1/auth/sessions/${sessionId}`)).json();
    assert.equal(polled.status, "completed");
  } finally {
    await env.close();
  }
});

Deno.test("device code: entries by other browsers from many addresses end the code; the device's poll fails", async () => {
  const env = await setup();
  try {
    const { sessionId, deviceAuthCode } = await deviceSession(env, "user-watched");
    const user = new Browser();
    const entered = await enterAt(env, user, "198.51.100.1", deviceAuthCode);
    assert.equal(entered.status, 303);
    const connectUrl = `${env.publicUrl}${entered.headers.get("location")}`;
    // One entry per address: no address comes near its own limit of 10.
    let last: Response | null = null;
    for (let i = 0; i < DEVICE_FAILURES_PER_CODE; i++) {
      await last?.body?.cancel();
      last = await enterAt(env, new Browser(), `203.0.113.${i + 1}`, deviceAuthCode);
      assert.equal(last.status, 400);
    }
    const told = await last!.text();
    assert.match(told, /too many times/, "the last entry is told the code ended");
    assert.doesNotMatch(told, /attempts? left/);

    const polled = await (await env.api(`/v1/auth/sessions/${sessionId}`)).json();
    assert.equal(polled.status, "failed", "the device's poll ends with an error");
    assert.equal(polled.reason, "device_code_attempts");
    const status = await (await env.api("/v1/auth/status?entityId=user-watched")).json();
    assert.equal(status.status, "AUTH_FAILURE");

    // The browser it was bound to cannot go on either: the app starts over.
    const page = await user.go(connectUrl);
    assert.equal(page.status, 400);
    assert.match(await page.text(), /entered in other browsers too many times/);
    const again = await enterAt(env, user, "198.51.100.1", deviceAuthCode);
    assert.equal(again.status, 400);
    assert.match(await again.text(), /too many times/);
  } finally {
    await env.close();
  }
});
