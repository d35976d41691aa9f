/**
 * The credential form in Chromium: the SDK's popup (opener proof, sxc
 * reveal) with an API-key provider, and the device flow with basic auth.
 * A wrong credential is refused on the page; the right one works through
 * the proxy.
 */
import assert from "node:assert/strict";
import { RIGHT, setupCredentialEnv } from "../helpers/credential_env.ts";
import { Securix } from "../../src/sdk/server_client.ts";
import { freePort } from "../helpers/process.ts";
import { explainSkip, hasChromium, launchChromium } from "./chromium.ts";
import { clickConnect, serveCustomerPage } from "./customer_page.ts";

explainSkip("credential form browser tests");
const SHOTS = new URL("../../.test-artifacts/screenshots/", import.meta.url).pathname;

Deno.test({
  name:
    "browser: <securix-button> popup → credential form → wrong key refused → right key → AUTH_SUCCESS",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const customerPort = freePort();
    const customerOrigin = `http://127.0.0.1:${customerPort}`;
    const env = await setupCredentialEnv({ origin: customerOrigin });
    const customer = serveCustomerPage({
      port: customerPort,
      publicUrl: env.publicUrl,
      apiKey: env.apiKey,
      provider: "keyed",
      label: "Connect Keyed",
    });
    const { securix, seen: seenByCustomer } = customer;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      const popup = await clickConnect(page, customerOrigin);
      popup.on("request", (r) => {
        const origin = new URL(r.url()).origin;
        if (origin !== env.publicUrl && !r.url().startsWith("data:")) external.push(r.url());
      });
      await popup.locator('#securix-binding[data-state="verified"]').waitFor({ timeout: 10_000 });
      await popup.getByRole("button", { name: /Continue to Keyed API/ }).click();
      await popup.locator("input[name=field_user_key]").waitFor();
      await popup.screenshot({ path: `${SHOTS}credential-form.png`, fullPage: true });

      await popup.locator("input[name=field_user_key]").fill("wrong-key-typed-in-browser");
      await popup.locator("input[name=field_label]").fill("laptop");
      await popup.getByRole("button", { name: "Check and connect" }).click();
      await popup.locator("[data-credential-refusal]").waitFor();
      const refusal = await popup.locator("[data-credential-refusal]").innerText();
      assert.match(refusal, /refused this credential \(401 Unauthorized\)/);
      assert.equal(await popup.locator("input[name=field_user_key]").inputValue(), "");
      assert.equal(await popup.locator("input[name=field_label]").inputValue(), "laptop");
      assert.equal((await popup.content()).includes("wrong-key-typed-in-browser"), false);
      await popup.screenshot({ path: `${SHOTS}credential-form-refused.png`, fullPage: true });
      assert.equal((await env.counts()).connections, 0, "nothing stored after the refusal");

      await popup.locator("input[name=field_user_key]").fill(RIGHT.apiKey);
      await popup.getByRole("button", { name: "Check and connect" }).click();
      await page.waitForFunction("window.result !== undefined", null, { timeout: 20_000 });
      const result = await page.evaluate("window.result");
      assert.equal((result as { status?: string }).status, "AUTH_SUCCESS", JSON.stringify(result));
      assert.equal((await securix.auth.getStatus("browser-user")).status, "AUTH_SUCCESS");
      for (const body of seenByCustomer) {
        assert.equal(body.includes(RIGHT.apiKey), false, "no key reached the customer");
      }
      assert.deepEqual(external, [], "the form loads nothing from elsewhere");

      const proxied = await fetch(`${env.publicUrl}/proxy/keyed/me`, {
        headers: env.proxyHeaders("browser-user"),
      });
      assert.equal(proxied.status, 200, await proxied.clone().text());
      assert.equal((await proxied.json()).user, "keyed-user");
    } finally {
      await browser.close();
      await customer.shutdown();
      await env.close();
    }
  },
});

Deno.test({
  name: "browser: device flow → basic-auth form → connected, poller sees completed",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const env = await setupCredentialEnv();
    const securix = new Securix({ baseUrl: env.publicUrl, apiKey: env.apiKey });
    const browser = await launchChromium();
    try {
      const session = await securix.auth.createSession({
        entityId: "tv-user",
        flow: "device",
        providers: { basicapi: {} },
      });
      const page = await browser.newPage();
      await page.goto(session.authUrl);
      await page.locator("input[name=code]").fill(session.deviceAuthCode!);
      await page.locator("form button[type=submit]").first().click();
      await page.getByRole("button", { name: /Continue to Basic API/ }).click();
      await page.locator("input[name=field_username]").fill(RIGHT.user);
      await page.locator("input[name=field_password]").fill("nope");
      await page.getByRole("button", { name: "Check and connect" }).click();
      await page.locator("[data-credential-refusal]").waitFor();
      assert.match(await page.locator("[data-credential-refusal]").innerText(), /403 Forbidden/);
      await page.screenshot({ path: `${SHOTS}credential-form-device-refused.png`, fullPage: true });
      await page.locator("input[name=field_password]").fill(RIGHT.password);
      await page.getByRole("button", { name: "Check and connect" }).click();
      await page.getByText("You're connected").waitFor();
      assert.equal((await securix.auth.getSession(session.sessionId)).status, "completed");
      const proxied = await fetch(`${env.publicUrl}/proxy/basicapi/things`, {
        headers: env.proxyHeaders("tv-user"),
      });
      assert.equal(proxied.status, 200, await proxied.clone().text());
      await proxied.body?.cancel();
    } finally {
      await browser.close();
      await env.close();
    }
  },
});
