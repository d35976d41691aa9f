/**
 * `/console/sessions` in Chromium: a pending, a failed and a completed
 * consent listed newest first with the failure reason in words, filtered
 * by status, linked from the nav; axe (no serious or critical), 390 px,
 * light and dark screenshots, and none of the sessions' secrets in the page.
 */
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import type { Page } from "playwright-core";
import { totpAt } from "./helpers/console_client.ts";
import { ADMIN, type ConsoleEnv, PASSWORD, startConsoleEnv } from "./helpers/console_env.ts";
import { SECRETS, seedSessions } from "./helpers/seed_sessions.ts";
import { explainSkip, hasChromium, launchChromium } from "./browser/chromium.ts";

explainSkip("console sessions page browser test");
const SHOTS = new URL("../.test-artifacts/screenshots/", import.meta.url).pathname;

async function signIn(page: Page, env: ConsoleEnv): Promise<void> {
  const base = env.consoleUrl;
  await page.goto(`${base}/console`);
  await page.fill("#name", ADMIN);
  await page.fill("#password", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/console/enrol`);
  const key = decodeBase32IgnorePadding((await page.textContent("[data-totp-key]"))!.trim());
  await page.fill("#code", totpAt(key, Date.now()));
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/console`);
}

async function check(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `axe on ${where}`,
  );
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  ) as number;
  assert.ok(overflow <= 0, `${where} is ${overflow} px wider than 390 px`);
  await page.screenshot({ path: `${SHOTS}console-${where}-narrow.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

Deno.test({
  name:
    "console sessions: newest first, reason in words, status filter, nav, axe, 390 px, no secrets",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await Deno.mkdir(SHOTS, { recursive: true });
    const env = await startConsoleEnv();
    const browser = await launchChromium();
    try {
      await seedSessions(env.temp.appliance);
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } }))
        .newPage();
      const requested: string[] = [];
      page.on("request", (r) => requested.push(r.url()));
      const base = env.consoleUrl;
      await signIn(page, env);

      await page.click("nav >> text=Sessions");
      await page.waitForURL(`${base}/console/sessions`);
      assert.equal(
        await page.getAttribute("nav a[href='/console/sessions']", "aria-current"),
        "page",
      );
      assert.deepEqual(
        await page.$$eval(
          "tr[data-session]",
          (rows) => rows.map((r) => r.getAttribute("data-session")),
        ),
        ["ses_done1", "ses_failed1", "ses_pending1"],
      );
      const failed = (await page.textContent("tr[data-session='ses_failed1']"))!;
      assert.match(failed, /The user declined access at the provider/);
      assert.match(failed, /device/);
      assert.match(failed, /github/);
      const html = await page.content();
      for (const [name, value] of Object.entries(SECRETS)) {
        assert.ok(!html.includes(value), `${name} in the page`);
      }
      for (const scheme of ["light", "dark"] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        await page.screenshot({ path: `${SHOTS}console-sessions-${scheme}.png`, fullPage: true });
        await check(page, `sessions-${scheme}`);
      }

      await page.selectOption("#f-status", "failed");
      await page.click("text=Search");
      await page.waitForURL(/status=failed/);
      assert.deepEqual(
        await page.$$eval(
          "tr[data-session]",
          (rows) => rows.map((r) => r.getAttribute("data-session")),
        ),
        ["ses_failed1"],
      );
      await page.goto(`${base}/console/sessions?entity=nobody`);
      assert.match((await page.textContent("p.empty"))!, /No consent sessions match/);
      assert.deepEqual(requested.filter((u) => !u.startsWith(base)), []);
    } finally {
      await browser.close();
      await env.close();
    }
  },
});
