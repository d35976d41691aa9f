import { Hono } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import { CONSENT_BINDING, POPUP_RESULT, type StaticAsset, STYLES } from "./assets.ts";

/**
 * `GET /assets/styles.css`, `/assets/popup_result.js`, `/assets/consent_binding.js` and their content-hashed twins
 * (`/assets/styles.<hash>.css`, which pages link): hashed paths are immutable for a
 * year, stable paths revalidate with the ETag. Mount at the root:
 * `app.route("/", assetRoutes())`.
 */
export function assetRoutes(): Hono {
  const app = new Hono();
  for (const asset of [STYLES, POPUP_RESULT, CONSENT_BINDING]) {
    app.get(
      asset.hashedPath,
      (c) => serve(asset, c.req.header("if-none-match"), "public, max-age=31536000, immutable"),
    );
    app.get(asset.path, (c) => serve(asset, c.req.header("if-none-match"), "public, no-cache"));
  }
  return app;
}

function serve(asset: StaticAsset, ifNoneMatch: string | undefined, cacheControl: string) {
  const headers = {
    "content-type": asset.contentType,
    "cache-control": cacheControl,
    etag: asset.etag,
    "x-content-type-options": "nosniff",
  };
  const fresh = ifNoneMatch?.split(",").some((t) => t.trim().replace(/^W\//, "") === asset.etag);
  return new Response(fresh ? null : asset.body, { status: fresh ? 304 : 200, headers });
}

export interface RenderPageOptions {
  status?: number;
  /**
   * Origins forms may post to besides 'self' — the providers' authorization origins,
   * since the consent form's answer redirects there and CSP form-action covers redirects.
   */
  formActionOrigins?: string[];
  headers?: HeadersInit;
}

type PageNode = HtmlEscapedString | Promise<HtmlEscapedString> | string;

/**
 * A page response: doctype + HTML, `text/html; charset=utf-8`, `cache-control: no-store`
 * (pages carry CSRF tokens), and the page CSP: scripts, styles and connections from
 * 'self' only, no framing.
 */
export function renderPage(node: PageNode, options: RenderPageOptions = {}): Response {
  if (node instanceof Promise) {
    throw new TypeError("Cannot render page: components must render synchronously");
  }
  const headers = new Headers(options.headers);
  headers.set("content-type", "text/html; charset=utf-8");
  headers.set("cache-control", "no-store");
  headers.set("content-security-policy", pageCsp(options.formActionOrigins ?? []));
  headers.set("x-frame-options", "DENY");
  return new Response(`<!DOCTYPE html>${node}`, { status: options.status ?? 200, headers });
}

/** The end-user pages' CSP. Throws on anything in `formActionOrigins` that is not an origin. */
export function pageCsp(formActionOrigins: string[]): string {
  const origins = [...new Set(formActionOrigins.map(checkedOrigin))];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    ["form-action 'self'", ...origins].join(" "),
    "frame-ancestors 'none'",
  ].join("; ");
}

function checkedOrigin(value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // Reported below.
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== value.replace(/\/$/, "")) {
    throw new TypeError(`Cannot build the page CSP: "${value}" is not an http(s) origin`);
  }
  return url.origin;
}
