/// <reference lib="dom" />
/**
 * Renders every end-user page in Chromium on desktop and phone viewports, light and
 * dark, and writes screenshots to .test-artifacts/screenshots/. Also checks the page
 * CSP holds at run time (no violations, stylesheet applied, nothing overflows).
 */
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { explainSkip, hasChromium, launchChromium } from "./chromium.ts";
import { SAMPLE_PAGES, samplePagesApp } from "./page_samples.tsx";

explainSkip("pages screenshots");

const OUT = new URL("../../.test-artifacts/screenshots/", import.meta.url).pathname;
const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
  // The size connect() opens the consent popup at.
  popup: { width: 500, height: 640 },
} as const;

Deno.test({
  name: "pages render cleanly on desktop and phone (screenshots)",
  ignore: !hasChromium,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await Deno.mkdir(OUT, { recursive: true });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      samplePagesApp().fetch,
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
    let browser: Browser | null = null;
    try {
      browser = await launchChromium();
      for (const [device, viewport] of Object.entries(VIEWPORTS)) {
        for (const scheme of ["light", "dark"] as const) {
          const context = await browser.newContext({
            viewport,
            colorScheme: scheme,
            isMobile: device === "phone",
            hasTouch: device === "phone",
            deviceScaleFactor: device === "phone" ? 2 : 1,
          });
          for (const name of Object.keys(SAMPLE_PAGES)) {
            const page = await context.newPage();
            const problems: string[] = [];
            // Some pages answer 4xx on purpose; their subresources must all load.
            page.on("console", (m) => {
              if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
                problems.push(m.text());
              }
            });
            page.on("response", (r) => {
              if (r.request().resourceType() !== "document" && !r.ok()) {
                problems.push(`${r.status()} ${r.url()}`);
              }
            });
            page.on("pageerror", (e) => problems.push(e.message));
            await page.goto(`${base}/pages/${name}`, { waitUntil: "load" });
            const layout = await page.evaluate(() => ({
              styled: getComputedStyle(document.querySelector(".card")!).borderRadius !== "0px",
              overflow: document.documentElement.scrollWidth > innerWidth,
            }));
            assert.deepEqual(problems, [], `${name} (${device}, ${scheme}) console errors`);
            assert.ok(layout.styled, `${name}: stylesheet not applied`);
            assert.ok(!layout.overflow, `${name} (${device}): horizontal overflow`);
            await page.screenshot({
              path: `${OUT}${name}-${device}-${scheme}.png`,
              fullPage: true,
            });
            await page.close();
          }
          await context.close();
        }
      }
      console.log(`screenshots written to ${OUT}`);
    } finally {
      await browser?.close();
      await server.shutdown();
    }
  },
});
