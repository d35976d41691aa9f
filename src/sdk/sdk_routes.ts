import { Hono } from "hono";
import { CLIENT_JS, CLIENT_JS_ETAG } from "./browser/client_asset.ts";
import { SDK_DTS, SDK_DTS_ETAG, SDK_JS, SDK_JS_ETAG } from "./sdk_asset.ts";

/**
 * The SDKs as ES modules, served by the appliance so an app needs nothing from outside:
 *
 * - `GET /sdk/client.js`: the browser client (`connect()`, `<securix-button>`). Customer pages
 *   on any origin load it with `<script type="module" src="https://<appliance>/sdk/client.js">`.
 * - `GET /sdk/securix.js`: the server SDK (`Securix`, `toFetchHandler`, `toNextJsHandler`,
 *   webhook verification, the WebSocket bridge) as one file for Node 20+, Deno and Bun, to
 *   download into the app (`curl -o securix.js`) or, in Deno, to import by URL.
 * - `GET /sdk/securix.d.ts`: its type declarations. `securix.js` names them in
 *   `X-TypeScript-Types`, so Deno importing it by URL type-checks without being told.
 *
 * All are served with `access-control-allow-origin: *` (module scripts are fetched with CORS)
 * and `cross-origin-resource-policy: cross-origin`. The URLs are stable, so caches revalidate
 * with the ETag after five minutes rather than keeping them forever.
 *
 * Mount at the root: `app.route("/", sdkRoutes())`.
 */
export function sdkRoutes(): Hono {
  const app = new Hono();
  serveModule(app, "/sdk/client.js", CLIENT_JS, CLIENT_JS_ETAG);
  serveModule(app, "/sdk/securix.js", SDK_JS, SDK_JS_ETAG, {
    "x-typescript-types": "./securix.d.ts",
  });
  serveModule(app, "/sdk/securix.d.ts", SDK_DTS, SDK_DTS_ETAG, {
    // The type Deno reads as TypeScript (text/javascript would make it a script).
    "content-type": "application/typescript; charset=utf-8",
  });
  return app;
}

function serveModule(
  app: Hono,
  path: string,
  body: string,
  etag: string,
  extra: Record<string, string> = {},
): void {
  const headers = {
    "content-type": "text/javascript; charset=utf-8",
    "cache-control": "public, max-age=300, stale-while-revalidate=86400",
    etag,
    "access-control-allow-origin": "*",
    "cross-origin-resource-policy": "cross-origin",
    "x-content-type-options": "nosniff",
    ...extra,
  };
  // Hono answers HEAD through the GET route, without the body.
  app.get(path, (c) => {
    if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304, headers);
    return c.body(body, 200, headers);
  });
}

/** True when an If-None-Match header lists `etag` (weak comparison, as RFC 9110 asks). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}
