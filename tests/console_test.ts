/**
 * The admin console end to end in Chromium: enrol an admin with TOTP, sign
 * in, create an app, key and agent, see a connection appear after a real
 * device-flow consent at an OAuth server, pause it (the proxy
 * answers SX-PAUSED on the next call), test a request against the rules,
 * redeliver a webhook, read the audit trail. Every page is checked with axe
 * (no serious or critical violations), at 390 px, and the browser's request
 * log must show nothing loaded from outside the appliance.
 */
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Page } from "playwright-core";
import { totpAt } from "./helpers/console_client.ts";
import { ADMIN, PASSWORD, startConsoleEnv } from "./helpers/console_env.ts";
import { startDeviceConsent } from "./helpers/flow_env.ts";
import { seedConnection, storedCredential } from "./helpers/seed.ts";
import { explainSkip, hasChromium, launchChromium } from "./browser/chromium.ts";

explainSkip("admin console browser test");
const SHOTS = new URL("../.test-artifacts/screenshots/", import.meta.url).pathname;

async function axe(page: Page, where: string): Promise<void> {
  await page.screenshot({
    path: `${SHOTS}console-${where.replaceAll(/[^a-z]+/g, "-")}.png`,
    fullPage: true,
  });
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe on ${where}`,
  );
}

/** Nothing wider than the viewport at 390 px (tables scroll inside their cards). */
async function fitsNarrow(page: Page, where: string): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  // A string, so this file needs no DOM types: it runs in the page.
  const overflow = await page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  ) as number;
  assert.ok(overflow <= 0, `${where} is ${overflow} px wider than 390 px`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name:
    "console: enrol, sign in, app + key + agent, pause → SX-PAUSED, rules test, redeliver, audit",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const env = await startConsoleEnv({ oidc: true });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        colorScheme: "light",
      });
      const page = await context.newPage();
      const requested: string[] = [];
      page.on("request", (r) => requested.push(r.url()));
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      const base = env.consoleUrl;

      // Sign-in: password first; the first time, the authenticator is enrolled.
      await page.goto(`${base}/console`);
      assert.equal(new URL(page.url()).pathname, "/console/sign-in");
      await axe(page, "sign-in");
      await page.fill("#name", ADMIN);
      await page.fill("#password", PASSWORD);
      await page.click("button[type=submit]");
      await page.waitForURL(`${base}/console/enrol`);
      assert.ok(await page.locator(".qr svg").count() === 1, "QR code shown");
      await axe(page, "enrol");
      const keyText = (await page.textContent("[data-totp-key]"))!.trim();
      const key = decodeBase32IgnorePadding(keyText);
      assert.deepEqual(key, env.totpKey);
      await page.fill("#code", totpAt(key, Date.now()));
      await page.click("button[type=submit]");
      await page.waitForURL(`${base}/console`);

      // Overview, with charts once two samples exist.
      await page.waitForSelector(".chart .uplot", { timeout: 10_000 });
      // No proxied call yet: latency has no value to plot, and says so.
      assert.match(
        (await page.textContent("[data-chart=p50]")) ?? "",
        /No proxied calls in these two hours yet/,
      );
      await axe(page, "overview");
      await fitsNarrow(page, "overview");

      // An app, its first key (shown once) and an agent.
      await page.goto(`${base}/console/apps`);
      await page.fill("#app-name", "shop");
      await page.fill("#app-origins", "https://shop.example");
      await page.click("text=Create app and key");
      const apiKey = (await page.textContent("[data-api-key]"))!.trim();
      assert.match(apiKey, /^sx_live_/);
      const appId = /\/console\/apps\/(app_[a-z0-9]+)/.exec(
        (await page.getAttribute("form[action$='/keys']", "action"))!,
      )![1];
      await page.fill("#agent-id", "agent-1");
      await page.click("text=Register agent");
      await page.waitForSelector("text=Agent registered.");
      await axe(page, "app detail");
      await fitsNarrow(page, "app detail");

      // No connection yet; then alice connects Gmail through the real device-flow
      // consent (the app's own API, the consent pages, the OAuth server's sign-in).
      await page.goto(`${base}/console/connections?provider=gmail`);
      assert.equal(await page.locator("a:has-text('alice')").count(), 0, "no connection yet");
      const appApi = (path: string, init: RequestInit = {}) =>
        fetch(`${env.publicUrl}${path}`, {
          ...init,
          headers: { "securix-api-key": apiKey, "content-type": "application/json" },
        });
      const { browser: user, providerUrl } = await startDeviceConsent(
        { api: appApi, publicUrl: env.publicUrl },
        "alice",
      );
      assert.ok(providerUrl.startsWith(env.oidc!.issuer), `consent goes to the provider`);
      const done = await user.go(
        await env.oidc!.loginAndConsent(providerUrl, { accountId: "alice" }),
      );
      assert.equal(done.status, 200);
      await done.body?.cancel();
      const token = (await storedCredential(env.temp.appliance, "alice", "gmail"))!.accessToken;
      await page.reload();
      assert.equal(await page.locator("a:has-text('alice')").count(), 1, "the connection appears");
      const proxied = () =>
        fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
          headers: {
            "securix-api-key": apiKey,
            "securix-entity-id": "alice",
            "securix-agent-id": "agent-1",
          },
        });
      const before = await proxied();
      assert.equal(before.status, 200, await before.text());
      assert.equal(
        env.upstream.requests.at(-1)!.headers.get("authorization"),
        `Bearer ${token}`,
        "the proxy injected the token the consent stored",
      );
      await page.goto(`${base}/console/connections?provider=gmail`);
      await page.click("a:has-text('alice')");
      await page.waitForSelector("text=Token expires");
      assert.equal((await page.content()).includes(token), false, "never a token");
      await axe(page, "connection detail");
      await page.click("button:has-text('Pause')");
      await page.waitForSelector("text=Connection paused");
      // The next call, at once: the console's command dropped the proxy's caches.
      const after = await proxied();
      const refused = await after.json();
      assert.equal(after.status, 403, JSON.stringify(refused));
      assert.equal(refused.error.code, "SX-PAUSED");
      await page.goto(`${base}/console/connections`);
      await axe(page, "connections");
      await fitsNarrow(page, "connections");

      // Test a request against the rules in force.
      await page.goto(`${base}/console/rules`);
      await page.fill("#t-url", `${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`);
      await page.fill("#t-app", "shop");
      await page.click("button:has-text('Test')");
      await page.waitForSelector("[data-test-result=allowed]");
      assert.match((await page.textContent("[data-test-result]"))!, /gmail\.users\.messages\.list/);
      await axe(page, "rules");

      // A webhook endpoint, a failed delivery, redelivered.
      await page.goto(`${base}/console/webhooks?app=${appId}`);
      await page.fill("#w-url", "https://hooks.example.com/securix");
      await page.click("text=Add endpoint");
      await page.waitForSelector("text=Copy the signing secret now");
      await page.click("text=Send a test event");
      await until(() => env.webhooks.length >= 1, "the first delivery attempt");
      env.webhookStatus.value = 204;
      await page.goto(`${base}/console/webhooks?app=${appId}`);
      assert.match((await page.textContent("table:has-text('webhook.test')"))!, /500/);
      await page.click("tr:has-text('webhook.test') button:has-text('Redeliver')");
      await page.waitForSelector("text=Delivery queued again");
      await until(() => env.webhooks.length >= 2, "the redelivery");
      assert.equal(
        env.webhooks[1].headers["webhook-id"],
        env.webhooks[0].headers["webhook-id"],
        "same webhook-id",
      );
      await until(async () => {
        await page.reload();
        return (await page.locator("tr:has-text('webhook.test') .badge.ok").count()) === 1;
      }, "the delivery to show as delivered");
      await axe(page, "webhooks");

      // Rotating the secret: shown once, and deliveries are signed by the old and new secrets.
      assert.equal(
        await page.locator("code.secret").count(),
        0,
        "no secret shown on a plain visit",
      );
      await page.click("tr:has-text('hooks.example.com') button:has-text('Rotate secret')");
      await page.waitForSelector("text=The old one signs beside it until");
      const rotated = (await page.textContent("code.secret"))!.trim();
      assert.match(rotated, /^whsec_/);
      const delivered = env.webhooks.length;
      await page.click("text=Send a test event");
      await until(() => env.webhooks.length > delivered, "a delivery after the rotation");
      const signatures = env.webhooks.at(-1)!.headers["webhook-signature"].split(" ");
      assert.equal(signatures.length, 2, "signed with the new and the old secret during the grace");
      await axe(page, "webhooks (rotated)");

      // The audit trail names the admin for every change.
      await page.goto(`${base}/console/audit?kind=admin,connection.paused`);
      const audit = (await page.textContent("table"))!;
      for (
        const kind of [
          "admin.app.created",
          "admin.agent.added",
          "admin.webhook.redelivered",
          "admin.webhook.secret_rotated",
        ]
      ) {
        assert.match(audit, new RegExp(kind.replaceAll(".", "\\.")));
      }
      assert.match(audit, /connection\.paused/);
      assert.match(audit, /admin:ops/);
      await page.click("text=Verify the chain");
      await page.waitForSelector("text=Chain verified");
      await axe(page, "audit");
      await fitsNarrow(page, "audit");
      await page.goto(`${base}/console/providers`);
      await axe(page, "providers");

      // Screenshots, light and dark, with a few users and some traffic to show.
      for (const [i, entity] of ["bob", "carol", "dave", "erin", "frank"].entries()) {
        await seedConnection(env.temp.appliance, {
          id: `conn_console${i + 2}`,
          appId,
          entityId: entity,
          provider: "gmail",
          accessToken: `token-${entity}`,
        });
      }
      for (let round = 0; round < 12; round++) {
        await Promise.all(
          ["bob", "carol", "dave"].slice(0, 1 + (round % 3)).map(async (who) => {
            const r = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
              headers: {
                "securix-api-key": apiKey,
                "securix-entity-id": who,
                "securix-agent-id": "agent-1",
              },
            });
            await r.body?.cancel();
          }),
        );
        await new Promise((r) => setTimeout(r, 120));
      }
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/console/connections`);
      await page.screenshot({ path: `${SHOTS}console-connections-narrow.png`, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
      // Light and dark.
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${base}/console`);
        await page.waitForSelector(".chart .uplot");
        await page.screenshot({ path: `${SHOTS}console-overview-${scheme}.png`, fullPage: true });
        if (scheme === "dark") await axe(page, "overview (dark)");
        await page.goto(`${base}/console/connections`);
        await page.screenshot({
          path: `${SHOTS}console-connections-${scheme}.png`,
          fullPage: true,
        });
        if (scheme === "dark") await axe(page, "connections (dark)");
      }

      const outside = requested.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith("data:"));
      assert.deepEqual(outside, [], "nothing loaded from outside the appliance");
      assert.deepEqual(errors, [], "no console errors (CSP included)");
      await context.close();
    } finally {
      await browser.close();
      await env.close();
    }
  },
});
