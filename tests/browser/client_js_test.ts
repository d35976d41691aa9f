/// <reference lib="dom" />
/**
 * /sdk/client.js in a real browser. Three local origins:
 * - app (A): a customer page under a strict CSP with <securix-button>, loading
 *   client.js cross-origin from the appliance, and the real SDK fetch handler;
 * - appliance (B): fakeAppliance — real client.js, consent/result pages, popup_result.js;
 * - attacker (C): a page that posts a forged result to the opener.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { Hono } from "hono";
import { Securix } from "../../src/sdk/server_client.ts";
import { fakeAppliance, type FakeSession } from "./fake_appliance.tsx";
import { explainSkip, hasChromium, launchChromium } from "./chromium.ts";

explainSkip("client.js browser tests");

const OUT = new URL("../../.test-artifacts/screenshots/", import.meta.url).pathname;

const TEST_JS = `
window.securixEvents = [];
document.addEventListener("securix-result", (event) => {
  const d = event.detail;
  window.securixEvents.push(d instanceof Error
    ? { error: true, name: d.name, code: d.code, reason: d.reason, message: d.message }
    : d);
});
window.securixWaiting = [];
document.addEventListener("securix-waiting", (event) => window.securixWaiting.push(event.detail));
`;

const FORGE_HTML = (sessionId: string) =>
  `<!DOCTYPE html><title>forged</title><script>
  window.opener.postMessage(
    { type: "securix:auth-result", sessionId: ${JSON.stringify(sessionId)}, status: "completed" },
    "*",
  );
  document.title = "posted";
</script>`;

interface Harness {
  page: Page;
  sessions: Map<string, FakeSession>;
  applianceUrl: string;
  attackerUrl: string;
  events: () => Promise<Record<string, unknown>[]>;
}

type Server = ReturnType<typeof Deno.serve>;
const listen = (fetch: (req: Request) => Response | Promise<Response>): [Server, string] => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, fetch);
  return [server, `http://127.0.0.1:${server.addr.port}`];
};

/** A name Chromium resolves to 127.0.0.1 but, unlike localhost, treats as not secure. */
const INSECURE_HOST = "app.insecure.test";

async function withHarness(
  fn: (h: Harness) => Promise<void>,
  options: { insecureHost?: boolean } = {},
) {
  let applianceUrl = "";
  let appUrl = "";
  const appliance = fakeAppliance({ publicUrl: () => applianceUrl, appOrigin: "" });
  const [applianceServer, b] = listen(appliance.app.fetch);
  applianceUrl = b;

  const securix = new Securix({ baseUrl: applianceUrl, apiKey: "test-key" });
  const handler = securix.toFetchHandler({
    getEntityId: () => "user-1",
    providers: { gmail: { scopes: ["gmail.readonly"] } },
  });
  const app = new Hono();
  app.all("/api/securix/*", (c) => handler(c.req.raw));
  app.get("/test.js", (c) => c.body(TEST_JS, 200, { "content-type": "text/javascript" }));
  app.get("/", (c) =>
    c.html(
      `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Customer app</title>
<script type="module" src="${applianceUrl}/sdk/client.js"></script>
<script type="module" src="/test.js"></script></head>
<body><securix-button endpoint="/api/securix" providers="gmail" scopes="gmail.readonly">
</securix-button></body></html>`,
      200,
      {
        // As strict as a careful customer: no inline script or style at all.
        "content-security-policy":
          `default-src 'self'; script-src 'self' ${applianceUrl}; style-src 'self'; connect-src 'self'`,
      },
    ));
  const [appServer, a] = listen(app.fetch);
  appUrl = a;

  const attacker = new Hono();
  attacker.get("/forge/:id", (c) => c.html(FORGE_HTML(c.req.param("id"))));
  // A provider's sign-in page that, like Google's and Microsoft's, sends COOP: the popup
  // is cut from the customer page (its `popup.closed` reads true while it is open).
  attacker.get("/provider/:id", (c) =>
    c.html(
      `<!DOCTYPE html><title>provider</title>
<form method="post" action="${applianceUrl}/connect/${
        c.req.param("id")
      }/continue"><button>Allow</button></form>
<form method="post" action="${applianceUrl}/connect/${
        c.req.param("id")
      }/cancel"><button>Deny</button></form>`,
      200,
      { "cross-origin-opener-policy": "same-origin" },
    ));
  const [attackerServer, attackerUrl] = listen(attacker.fetch);

  let browser: Browser | null = null;
  try {
    browser = await launchChromium(
      options.insecureHost ? [`--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`] : [],
    );
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    // CSP violations ("Refused to …") and script errors; expected 4xx answers aside.
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
        problems.push(m.text());
      }
    });
    const pageUrl = new URL(appUrl);
    if (options.insecureHost) pageUrl.hostname = INSECURE_HOST;
    await page.goto(pageUrl.href);
    await page.waitForFunction(() => customElements.get("securix-button") !== undefined);
    const events = () =>
      page.evaluate(() =>
        (globalThis as unknown as { securixEvents: Record<string, unknown>[] }).securixEvents
      );
    await fn({ page, sessions: appliance.sessions, applianceUrl, attackerUrl, events });
    assert.deepEqual(problems, [], "no CSP violations or errors on the customer page");
  } finally {
    await browser?.close();
    await Promise.all([applianceServer, appServer, attackerServer].map((s) => s.shutdown()));
  }
}

const navigate = (page: Page, url: string) =>
  Promise.all([page.waitForURL(url), page.evaluate((u) => location.href = u, url)]);

const options = { ignore: !hasChromium, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  ...options,
  name: "securix-button: popup handshake completes; a forged result from another origin is ignored",
  fn: () =>
    withHarness(async ({ page, sessions, applianceUrl, attackerUrl, events }) => {
      const button = page.locator("securix-button button");
      assert.equal(await button.textContent(), "Connect Gmail");
      const styled = await button.evaluate((b) => getComputedStyle(b).borderTopLeftRadius);
      assert.equal(styled, "10px", "the button's styles apply under the page CSP");
      await Deno.mkdir(OUT, { recursive: true });
      await page.locator("securix-button").screenshot({ path: `${OUT}securix-button.png` });

      const [popup] = await Promise.all([page.waitForEvent("popup"), button.click()]);
      await popup.waitForURL(`${applianceUrl}/connect/ses_1`);
      assert.equal(await button.getAttribute("aria-busy"), "true");
      const session = sessions.get("ses_1")!;
      assert.equal(session.entityId, "user-1");
      assert.match(session.sxcHash, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(session.targetOrigin, new URL(page.url()).origin);

      // The same popup window, now on another origin, claims success: ignored.
      await navigate(popup, `${attackerUrl}/forge/ses_1`);
      await popup.waitForFunction(() => document.title === "posted");
      await page.waitForTimeout(600);
      assert.deepEqual(await events(), []);
      assert.equal(session.confirmCalls, 0, "no confirm on a forged message");

      await navigate(popup, `${applianceUrl}/connect/ses_1`);
      await popup.getByRole("button", { name: "Continue to Gmail" }).click();
      await page.waitForFunction(() =>
        (globalThis as unknown as { securixEvents: unknown[] }).securixEvents.length > 0
      );
      const [result] = await events();
      assert.equal(result.status, "AUTH_SUCCESS");
      assert.equal(result.sessionId, "ses_1");
      assert.equal(result.flow, "popup");
      assert.deepEqual(Object.keys(result.providers as object), ["gmail"]);
      assert.equal(session.status, "completed");
      assert.equal(session.confirmCalls, 1);
      if (!popup.isClosed()) await popup.waitForEvent("close", { timeout: 5000 });
      assert.ok(popup.isClosed(), "the popup is closed once the result is in");
      assert.equal(await page.locator("securix-button [part=status]").textContent(), "Connected");
      await page.locator("securix-button").screenshot({
        path: `${OUT}securix-button-connected.png`,
      });
      assert.equal(await button.getAttribute("aria-busy"), "false");
    }),
});

Deno.test({
  ...options,
  name: "securix-button: cancel in the popup reports SX-AUTH-FAILED with the reason",
  fn: () =>
    withHarness(async ({ page, sessions, events }) => {
      const [popup] = await Promise.all([
        page.waitForEvent("popup"),
        page.locator("securix-button button").click(),
      ]);
      await popup.getByRole("button", { name: "Cancel" }).click();
      await page.waitForFunction(() =>
        (globalThis as unknown as { securixEvents: unknown[] }).securixEvents.length > 0
      );
      const [error] = await events();
      assert.equal(error.error, true);
      assert.equal(error.code, "SX-AUTH-FAILED");
      assert.equal(error.reason, "user_cancelled");
      assert.equal(sessions.get("ses_1")!.confirmCalls, 0);
    }),
});

Deno.test({
  ...options,
  name: "securix-button: closing the popup early reports SX-POPUP-CLOSED (after closed-wait-ms)",
  fn: () =>
    withHarness(async ({ page, applianceUrl, events }) => {
      await page.locator("securix-button").evaluate((b) =>
        b.setAttribute("closed-wait-ms", "1500")
      );
      const [popup] = await Promise.all([
        page.waitForEvent("popup"),
        page.locator("securix-button button").click(),
      ]);
      await popup.waitForURL(`${applianceUrl}/connect/ses_1`);
      await popup.close();
      await page.waitForFunction(() =>
        (globalThis as unknown as { securixEvents: unknown[] }).securixEvents.length > 0
      );
      const [error] = await events();
      assert.equal(error.code, "SX-POPUP-CLOSED");
      assert.match(
        String(await page.locator("securix-button [part=status]").textContent()),
        /closed before/,
      );
    }),
});

const statusText = (page: Page) => page.locator("securix-button [part=status]").textContent();

const waitingEvents = (page: Page) =>
  page.evaluate(() =>
    (globalThis as unknown as { securixWaiting: { sessionId: string }[] }).securixWaiting
  );

const waitForEvent = (page: Page) =>
  page.waitForFunction(
    () => (globalThis as unknown as { securixEvents: unknown[] }).securixEvents.length > 0,
    undefined,
    { timeout: 10_000 },
  );

Deno.test({
  ...options,
  name:
    "securix-button: a provider page with COOP (popup looks closed) still gets the session confirmed",
  fn: () =>
    withHarness(async ({ page, sessions, applianceUrl, attackerUrl, events }) => {
      const [popup] = await Promise.all([
        page.waitForEvent("popup"),
        page.locator("securix-button button").click(),
      ]);
      await popup.waitForURL(`${applianceUrl}/connect/ses_1`);
      await navigate(popup, `${attackerUrl}/provider/ses_1`);
      await page.waitForTimeout(1500); // the user signs in at the provider
      assert.deepEqual(await events(), [], "no result while the user is still at the provider");
      const button = page.locator("securix-button button");
      assert.equal(await button.getAttribute("aria-busy"), "true");
      // The popup looks closed: the app is told, and the button offers to start again —
      // which this user does not take, so the sign-in they finish still counts.
      assert.equal(await button.textContent(), "Try again");
      assert.equal(await statusText(page), "Waiting for the sign-in window…");
      assert.deepEqual((await waitingEvents(page)).map((w) => w.sessionId), ["ses_1"]);
      await popup.getByRole("button", { name: "Allow" }).click();
      await popup.waitForURL(`${applianceUrl}/connect/ses_1/continue`);
      await waitForEvent(page);
      const [result] = await events();
      assert.equal(result.status, "AUTH_SUCCESS", JSON.stringify(result));
      assert.equal(result.sessionId, "ses_1");
      const session = sessions.get("ses_1")!;
      assert.equal(session.status, "completed", "the session the user finished is confirmed");
      assert.equal((await events()).length, 1, "one result only");
    }),
});

Deno.test({
  ...options,
  name:
    "securix-button: the user closes the popup and clicks again at once: a new popup completes, the old session is cancelled",
  fn: () =>
    withHarness(async ({ page, sessions, applianceUrl, events }) => {
      const button = page.locator("securix-button button");
      const [first] = await Promise.all([page.waitForEvent("popup"), button.click()]);
      await first.waitForURL(`${applianceUrl}/connect/ses_1`);
      await first.close();
      // The default closedWaitMs (5 minutes) is in force; the button is clickable within a second.
      const started = Date.now();
      await page.waitForFunction(
        () =>
          document.querySelector("securix-button")?.shadowRoot?.querySelector("button")
            ?.textContent === "Try again",
        undefined,
        { timeout: 5_000 },
      );
      assert.ok(Date.now() - started < 5_000);
      assert.equal(await button.isEnabled(), true);
      assert.equal(await statusText(page), "Waiting for the sign-in window…");

      const [second] = await Promise.all([page.waitForEvent("popup"), button.click()]);
      await second.waitForURL(`${applianceUrl}/connect/ses_2`);
      assert.equal(await button.textContent(), "Connecting…");
      assert.equal(await button.isEnabled(), false);
      const old = sessions.get("ses_1")!;
      for (let i = 0; i < 50 && old.status !== "failed"; i++) await page.waitForTimeout(100);
      assert.equal(old.status, "failed", "the old session was cancelled");
      assert.equal(old.reason, "user_cancelled");

      await second.getByRole("button", { name: "Continue to Gmail" }).click();
      await waitForEvent(page);
      const [result, ...more] = await events();
      assert.equal(result.status, "AUTH_SUCCESS", JSON.stringify(result));
      assert.equal(result.sessionId, "ses_2");
      assert.deepEqual(more, [], "the replaced attempt reports nothing");
      assert.equal(sessions.get("ses_2")!.status, "completed");
      assert.equal(await statusText(page), "Connected");

      // The old consent finished late (in a window the page can no longer see) stays ended.
      const oldConfirms = old.confirmCalls;
      const late = await fetch(`${applianceUrl}/connect/ses_1/continue`, { method: "POST" });
      await late.body?.cancel();
      await page.waitForTimeout(1500);
      assert.equal(old.status, "failed", "the cancelled session cannot complete");
      assert.equal(old.confirmCalls, oldConfirms, "the replaced attempt stopped confirming");
      assert.equal((await events()).length, 1);
    }),
});

Deno.test({
  ...options,
  name: "securix-button: behind a COOP provider page, a refused sign-in ends with SX-POPUP-CLOSED",
  fn: () =>
    withHarness(async ({ page, sessions, applianceUrl, attackerUrl, events }) => {
      const [popup] = await Promise.all([
        page.waitForEvent("popup"),
        page.locator("securix-button button").click(),
      ]);
      await popup.waitForURL(`${applianceUrl}/connect/ses_1`);
      await navigate(popup, `${attackerUrl}/provider/ses_1`);
      await page.waitForTimeout(1000);
      assert.deepEqual(await events(), []);
      await popup.getByRole("button", { name: "Deny" }).click();
      await waitForEvent(page);
      const [error] = await events();
      assert.equal(error.code, "SX-POPUP-CLOSED");
      assert.equal(sessions.get("ses_1")!.status, "failed");
    }),
});

Deno.test({
  ...options,
  name: "securix-button on a plain-http page (not localhost): SX-INSECURE-CONTEXT, no popup",
  fn: () =>
    withHarness(async ({ page, sessions, events }) => {
      assert.equal(await page.evaluate(() => isSecureContext), false);
      assert.equal(await page.evaluate(() => typeof crypto.subtle), "undefined");
      let popups = 0;
      page.on("popup", () => popups++);
      await page.locator("securix-button button").click();
      await page.waitForFunction(() =>
        (globalThis as unknown as { securixEvents: unknown[] }).securixEvents.length > 0
      );
      const [event] = await events();
      assert.equal(event.error, true);
      assert.equal(event.code, "SX-INSECURE-CONTEXT");
      assert.equal(event.name, "InsecureContextError");
      assert.match(String(event.message), /HTTPS/);
      assert.doesNotMatch(String(event.message), /digest/);
      assert.match(
        await page.locator("securix-button").locator("[part=status]").innerText(),
        /HTTPS/,
        "the button tells the developer what to fix",
      );
      assert.equal(popups, 0);
      assert.equal(sessions.size, 0, "no session was created");
    }, { insecureHost: true }),
});
