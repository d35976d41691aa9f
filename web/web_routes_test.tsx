import assert from "node:assert/strict";
import {
  ASSET_URLS,
  CONSENT_BINDING_JS,
  POPUP_RESULT,
  POPUP_RESULT_JS,
  STYLES,
  STYLES_CSS,
} from "./assets.ts";
import { ErrorPage } from "./error_page.tsx";
import { assetRoutes, pageCsp, renderPage } from "./web_routes.ts";

Deno.test("renderPage: doctype, html content type, no-store, strict page CSP", async () => {
  const res = renderPage(<ErrorPage title="Gone" message="This link has expired." />, {
    status: 410,
    formActionOrigins: ["https://accounts.google.com", "https://github.com/"],
  });
  assert.equal(res.status, 410);
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  const csp = res.headers.get("content-security-policy") ?? "";
  for (
    const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "form-action 'self' https://accounts.google.com https://github.com",
    ]
  ) assert.ok(csp.includes(directive), `${directive} in ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = await res.text();
  assert.match(html, /^<!DOCTYPE html><html lang="en">/);
  assert.match(html, /This link has expired\./);
});

Deno.test("pageCsp refuses anything but origins, so nothing can be injected", () => {
  assert.equal(
    pageCsp([]).split("; ").find((d) => d.startsWith("form-action")),
    "form-action 'self'",
  );
  for (
    const bad of [
      "https://a.test; script-src *",
      "https://a.test/path",
      "javascript:alert(1)",
      "*",
      "not a url",
    ]
  ) assert.throws(() => pageCsp([bad]), TypeError, bad);
});

Deno.test("assetRoutes: hashed URLs are immutable, stable URLs revalidate with the ETag", async () => {
  const app = assetRoutes();
  const hashed = await app.request(ASSET_URLS.stylesCss);
  assert.equal(hashed.status, 200);
  assert.equal(hashed.headers.get("content-type"), "text/css; charset=utf-8");
  assert.equal(hashed.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(await hashed.text(), STYLES_CSS);

  const stable = await app.request("/assets/popup_result.js");
  assert.equal(stable.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(stable.headers.get("cache-control"), "public, no-cache");
  assert.equal(stable.headers.get("etag"), POPUP_RESULT.etag);
  assert.equal(await stable.text(), POPUP_RESULT_JS);

  const revalidated = await app.request("/assets/styles.css", {
    headers: { "if-none-match": `W/${STYLES.etag}` },
  });
  assert.equal(revalidated.status, 304);
  assert.equal(await revalidated.text(), "");

  assert.equal((await app.request("/assets/styles.0000.css")).status, 404);
  assert.match(ASSET_URLS.popupResultJs, /^\/assets\/popup_result\.[A-Za-z0-9_-]{12}\.js$/);

  const binding = await app.request(ASSET_URLS.consentBindingJs);
  assert.equal(binding.status, 200);
  assert.equal(binding.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(await binding.text(), CONSENT_BINDING_JS);
});

Deno.test("styles stay within the page CSP: no imports, no external URLs", () => {
  assert.doesNotMatch(STYLES_CSS, /@import|url\(\s*["']?(https?:)?\/\//i);
  assert.match(STYLES_CSS, /prefers-color-scheme: dark/);
  assert.match(STYLES_CSS, /:focus-visible/);
});
