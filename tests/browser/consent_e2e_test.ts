/**
 * The consent flows end to end in Chromium: a customer page using the SDK's
 * fetch handler and <securix-button>, the real appliance, and oidc-provider
 * as the upstream authorization server.
 */
import assert from "node:assert/strict";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { sxcHash } from "../../src/flows/sxc.ts";
import { SecurixApiError } from "../../src/sdk/sdk_error.ts";
import { Securix } from "../../src/sdk/server_client.ts";
import { freePort } from "../helpers/process.ts";
import { setup } from "../helpers/flow_env.ts";
import { explainSkip, hasChromium, launchChromium } from "./chromium.ts";
import { clickConnect, serveCustomerPage } from "./customer_page.ts";

explainSkip("consent end-to-end browser tests");
const SHOTS = new URL("../../.test-artifacts/screenshots/", import.meta.url).pathname;

Deno.test({
  name: "browser: <securix-button> popup → consent → provider login → confirm → AUTH_SUCCESS",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const customerPort = freePort();
    const customerOrigin = `http://127.0.0.1:${customerPort}`;
    const env = await setup({ origin: customerOrigin });
    const customer = serveCustomerPage({
      port: customerPort,
      publicUrl: env.publicUrl,
      apiKey: env.apiKey,
      provider: "gmail",
      label: "Connect Gmail",
    });
    const { securix, seen: seenByCustomer } = customer;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const popup = await clickConnect(page, customerOrigin);
      const trail: string[] = [];
      popup.on("framenavigated", (f) => trail.push(f.url()));
      popup.on("console", (m) => trail.push(`console: ${m.text()}`));
      page.on("console", (m) => trail.push(`page console: ${m.text()}`));
      await popup.waitForLoadState().catch(() => {});
      if (popup.isClosed()) {
        await new Promise((r) => setTimeout(r, 300));
        throw new Error(
          `popup closed early: ${JSON.stringify(await page.evaluate("window.result"))} ${
            seenByCustomer.join(" | ")
          }`,
        );
      }
      await popup.getByRole("button", { name: /Continue to/ }).waitFor().catch(async (e) => {
        await new Promise((r) => setTimeout(r, 500));
        throw new Error(
          `${e.message}\n${trail.join("\n")}\nresult=${
            JSON.stringify(await page.evaluate("window.result"))
          }\n${seenByCustomer.join(" | ")}`,
        );
      });
      // The page's opener check: the SDK in the customer page vouched for this window.
      await popup.locator('#securix-binding[data-state="verified"]').waitFor({ timeout: 10_000 });
      await popup.screenshot({ path: `${SHOTS}e2e-consent.png` });
      await popup.getByRole("button", { name: /Continue to/ }).click();
      await popup.locator("input[name=login]").fill("carol");
      await popup.locator("input[name=password]").fill("x").catch(() => {});
      await popup.locator("button[type=submit]").first().click();
      await popup.locator("button[type=submit]").first().click();
      await page.waitForFunction("window.result !== undefined", null, { timeout: 20_000 });
      const result = await page.evaluate("window.result");
      assert.equal((result as { status?: string }).status, "AUTH_SUCCESS", JSON.stringify(result));
      const status = await securix.auth.getStatus("browser-user");
      assert.equal(status.status, "AUTH_SUCCESS");
      const token = await env.vaultToken("browser-user");
      assert.ok(token.length > 10);
      for (const body of seenByCustomer) {
        assert.equal(body.includes(token), false, "no token reached the customer");
      }
    } finally {
      await browser.close();
      await customer.shutdown();
      await env.close();
    }
  },
});

Deno.test({
  name: "browser: device flow — code typed in lower case without hyphen, poller sees success",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const env = await setup();
    const securix = new Securix({ baseUrl: env.publicUrl, apiKey: env.apiKey });
    const browser = await launchChromium();
    try {
      const session = await securix.auth.createSession({
        entityId: "tv-user",
        flow: "device",
        providers: { gmail: {} },
      });
      const page = await browser.newPage();
      await page.goto(session.authUrl);
      await page.screenshot({ path: `${SHOTS}e2e-device.png` });
      await page.locator("input[name=code]").fill(
        session.deviceAuthCode!.replace("-", "").toLowerCase(),
      );
      await page.locator("form button[type=submit]").first().click();
      await page.getByRole("button", { name: /Continue to/ }).click();
      await page.locator("input[name=login]").fill("dave");
      await page.locator("input[name=password]").fill("x").catch(() => {});
      await page.locator("button[type=submit]").first().click();
      await page.locator("button[type=submit]").first().click();
      await page.waitForURL(/oauth\/callback/);
      await page.screenshot({ path: `${SHOTS}e2e-device-done.png` });
      let final = "";
      for (let i = 0; i < 20 && final !== "completed"; i++) {
        const s = await securix.auth.getSession(session.sessionId).catch(() => null);
        final = s?.status ?? final;
        if (final !== "completed") {
          await new Promise((r) => setTimeout(r, (session.interval ?? 1) * 1000));
        }
      }
      assert.equal(final, "completed");
      assert.equal((await securix.auth.getStatus("tv-user")).status, "AUTH_SUCCESS");
    } finally {
      await browser.close();
      await env.close();
    }
  },
});

/** An attacker's popup session: they hold its sxc and want a victim to consent to it. */
async function attackerSession(securix: Securix) {
  const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
  const session = await securix.auth.createSession({
    entityId: "attacker",
    flow: "popup",
    providers: { gmail: {} },
    sxcHash: sxcHash(sxc),
  });
  return { sxc, session };
}

async function assertCannotConfirm(securix: Securix, sessionId: string, sxc: string) {
  await assert.rejects(securix.auth.confirmSessionSXC(sessionId, sxc), (error: unknown) => {
    assert.ok(error instanceof SecurixApiError);
    assert.equal(error.code, "SX-SESSION-NOT-READY");
    return true;
  });
  assert.equal((await securix.auth.getSession(sessionId)).status, "pending");
}

Deno.test({
  name:
    "browser: forwarded consent link opened without an opener → warning page, provider never contacted",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const env = await setup({ origin: "https://app.acme.example" });
    const securix = new Securix({ baseUrl: env.publicUrl, apiKey: env.apiKey });
    const browser = await launchChromium();
    try {
      const { sxc, session } = await attackerSession(securix);
      // The victim: a fresh browser profile, the link pasted from a chat message.
      const victim = await browser.newContext({ viewport: { width: 500, height: 640 } });
      const page = await victim.newPage();
      const provider = new URL(env.oidc.issuer).origin;
      const toProvider: string[] = [];
      page.on("request", (r) => {
        if (new URL(r.url()).origin === provider) toProvider.push(r.url());
      });
      await page.goto(session.authUrl);
      await page.waitForURL(`${session.authUrl}/unverified`, { timeout: 10_000 });
      await page.getByRole("heading", { name: "This link was not opened by demo" }).waitFor();
      const text = await page.locator("main").innerText();
      assert.match(text, /If someone sent you this link, close this page/);
      assert.match(text, /app\.acme\.example/);
      assert.match(text, /SX-OPENER-UNVERIFIED/);
      assert.equal(await page.getByRole("button").count(), 0, "nothing to continue with");
      await page.screenshot({ path: `${SHOTS}e2e-consent-unverified.png` });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.screenshot({ path: `${SHOTS}e2e-consent-unverified-desktop.png` });

      // Going back and pressing Continue by hand does not help either.
      await page.goto(session.authUrl, { waitUntil: "commit" });
      await page.waitForURL(`${session.authUrl}/unverified`, { timeout: 10_000 });
      assert.deepEqual(toProvider, [], "the provider was never contacted");
      await assertCannotConfirm(securix, session.sessionId, sxc);
      await victim.close();
    } finally {
      await browser.close();
      await env.close();
    }
  },
});

Deno.test({
  name: "browser: consent link opened as a popup from an unregistered origin → refused",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await setup({ origin: "http://127.0.0.1:3000" });
    const securix = new Securix({ baseUrl: env.publicUrl, apiKey: env.apiKey });
    const { sxc, session } = await attackerSession(securix);
    // The attacker's page opens the link as a real popup, so `window.opener` exists,
    // and records any challenge it is sent (it would answer it: it holds the sxc).
    const evil = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
      new Response(
        `<!doctype html><title>Win a prize</title>
<button id="go">Claim</button>
<script>
window.challenges = [];
addEventListener("message", (e) => window.challenges.push(e.origin + " " + JSON.stringify(e.data)));
document.getElementById("go").onclick = () => { window.popup = window.open(${
          JSON.stringify(session.authUrl)
        }, "consent", "popup=yes,width=500,height=640"); };
</script>`,
        { headers: { "content-type": "text/html" } },
      ));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const provider = new URL(env.oidc.issuer).origin;
      const toProvider: string[] = [];
      page.context().on("request", (r) => {
        if (new URL(r.url()).origin === provider) toProvider.push(r.url());
      });
      await page.goto(`http://127.0.0.1:${evil.addr.port}/`);
      const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("#go")]);
      assert.ok(await popup.evaluate("window.opener !== null"), "a real opener");
      // Unanswered (the nonce only goes to registered origins): the warning after the timeout.
      await popup.waitForURL(`${session.authUrl}/unverified`, { timeout: 20_000 });
      await popup.getByRole("heading", { name: "This link was not opened by demo" }).waitFor();
      assert.deepEqual(await page.evaluate("window.challenges"), [], "no nonce reached it");
      assert.deepEqual(toProvider, []);
      await assertCannotConfirm(securix, session.sessionId, sxc);
    } finally {
      await browser.close();
      await evil.shutdown();
      await env.close();
    }
  },
});
