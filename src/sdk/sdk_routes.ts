import { Hono } from "hono";
import { CLIENT_JS, CLIENT_JS_ETAG } from "./browser/client_asset.ts";

/**
 * `GET /sdk/client.js`: the browser client (`connect()`, `<securix-button>`) as one
 * ES module. Customer pages on any origin load it with
 * `<script type="module" src="https://<appliance>/sdk/client.js">`, so it is served with
 * `access-control-allow-origin: *` (module scripts are fetched with CORS) and
 * `cross-origin-resource-policy: cross-origin`. The URL is stable, so caches revalidate
 * with the ETag after five minutes rather than keeping it forever.
 *
 * Mount at the root: `app.route("/", sdkRoutes())`.
 */
export function sdkRoutes(): Hono {
  const app = new Hono();
  const headers = {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=300, stale-while-revalidate=86400",
    etag: CLIENT_JS_ETAG,
    "access-control-allow-origin": "*",
    "cross-origin-resource-policy": "cross-origin",
    "x-content-type-options": "nosniff",
  };
  // Hono answers HEAD through the GET route, without the body.
  app.get("/sdk/client.js", (c) => {
    if (etagMatches(c.req.header("if-none-match"), CLIENT_JS_ETAG)) {
      return c.body(null, 304, headers);
    }
    return c.body(CLIENT_JS, 200, headers);
  });
  return app;
}

/** True when an If-None-Match header lists `etag` (weak comparison, as RFC 9110 asks). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
