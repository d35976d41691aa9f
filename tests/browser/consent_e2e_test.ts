/**
 * The consent flows end to end in Chromium: a customer page using the SDK's
 * fetch handler and <securix-button>, the real appliance, and oidc-provider
 * as the upstream authorization server.
 */
import assert from "node:assert/strict";
import { Securix } from "../../src/sdk/server_client.ts";
import { freePort } from "../helpers/process.ts";
import { setup } from "../helpers/flow_env.ts";
import { explainSkip, hasChromium, launchChromium } from "./chromium.ts";

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
    const securix = new Securix({ baseUrl: env.publicUrl, apiKey: env.apiKey });
    const handler = securix.toFetchHandler({
      getEntityId: () => "browser-user",
      basePath: "/api/securix",
    });
    const seenByCustomer: string[] = [];
    const customer = Deno.serve(
      { hostname: "127.0.0.1", port: customerPort, onListen() {} },
      async (req) => {
        const url = new URL(req.url);
        if (url.pathname.startsWith("/api/securix")) {
          const res = await handler(req);
          seenByCustomer.push(await res.clone().text());
          return res;
        }
        return new Response(
          `<!doctype html><html><head><title>Customer</title>
<script type="module" src="${env.publicUrl}/sdk/client.js"></script></head>
<body><h1>Customer app</h1>
<securix-button endpoint="/api/securix" providers="gmail" label="Connect Gmail"></securix-button>
</body></html>`,
          { headers: { "content-type": "text/html" } },
        );
      },
    );
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(customerOrigin);
      await page.evaluate(
        `document.querySelector("securix-button").addEventListener("securix-result", (e) => { window.result = e.detail; })`,
      );
      const [popup] = await Promise.all([
        page.waitForEvent("popup"),
        page.locator("securix-button").getByRole("button").click(),
      ]);
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
