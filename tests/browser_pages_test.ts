/**
 * `/` and unknown addresses: a browser (Accept: text/html) gets a small
 * product page under the page CSP; API clients keep getting the JSON error,
 * and API and proxy paths answer JSON whatever is accepted.
 */
import assert from "node:assert/strict";
import { VERSION } from "../src/cli/version.ts";
import { createRuntime } from "../src/http/runtime.ts";
import { pageCsp } from "../web/web_routes.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const INFO = {
  remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" },
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

// What Chromium sends when navigating.
const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

Deno.test("browser pages: / and unknown routes are HTML for browsers, JSON for API clients", async () => {
  const temp = await openTempAppliance();
  const runtime = await createRuntime(temp.appliance, { audit: false, log: () => {} });
  const get = (path: string, accept?: string) =>
    runtime.handler(
      new Request(`http://127.0.0.1${path}`, { headers: accept ? { accept } : {} }),
      INFO,
    );
  try {
    const home = await get("/", BROWSER);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(home.headers.get("content-security-policy"), pageCsp([]));
    const html = await home.text();
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<h1>Securix appliance<\/h1>/);
    assert.ok(html.includes(`Securix ${VERSION}`), "names the version");
    assert.match(html, /href="\/healthz"/);
    assert.match(html, /HTTP surface/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)/, "no inline script");
    assert.doesNotMatch(html, /\sstyle=/, "no inline style");

    const missing = await get("/nope/here", BROWSER);
    assert.equal(missing.status, 404);
    const missingHtml = await missing.text();
    assert.match(missingHtml, /<h1>Page not found<\/h1>/);
    assert.match(missingHtml, /There is no page at \/nope\/here/);
    assert.match(missingHtml, /SX-NOT-FOUND/);

    for (
      const [path, accept, status, code] of [
        ["/", undefined, 404, "SX-NOT-FOUND"],
        ["/", "*/*", 404, "SX-NOT-FOUND"],
        ["/", "application/json", 404, "SX-NOT-FOUND"],
        ["/nope", "*/*", 404, "SX-NOT-FOUND"],
        ["/v1/nope", BROWSER, 401, null],
        ["/proxy/nope/x", BROWSER, null, null],
      ] as const
    ) {
      const res = await get(path, accept);
      const what = `${path} with Accept ${accept}`;
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
      if (status) assert.equal(res.status, status, what);
      const body = await res.json();
      if (code) assert.equal(body.error.code, code, what);
    }
  } finally {
    await runtime.stop();
    await temp.cleanup();
  }
});
