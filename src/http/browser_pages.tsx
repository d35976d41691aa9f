import type { Context } from "hono";
import { HomePage } from "../../web/home_page.tsx";
import { renderPage } from "../../web/web_routes.ts";
import { VERSION } from "../cli/version.ts";

/**
 * A browser navigating here, not an API client: it asks for HTML. Browsers
 * send `text/html` first in Accept; fetch, curl and SDKs send `*\/*` or JSON.
 */
export function wantsHtml(c: Context): boolean {
  return /(^|,)\s*text\/html\s*(;|,|$)/i.test(c.req.header("accept") ?? "");
}

/** API and proxy paths always answer JSON, whatever the client accepts. */
function isApiPath(path: string): boolean {
  return /^\/(v1|proxy)(\/|$)/.test(path);
}

/** `/` for a browser: the product page. Null when JSON is wanted. */
export function homePage(c: Context): Response | null {
  return wantsHtml(c) ? renderPage(<HomePage version={VERSION} />) : null;
}

/**
 * An unknown address for a browser: the product page with "not found" (404).
 * The path shown is cut short: anyone can put a sentence there and send the link.
 */
export function notFoundPage(c: Context): Response | null {
  const path = new URL(c.req.url).pathname;
  if (!wantsHtml(c) || isApiPath(path)) return null;
  const shown = path.length > 60 ? `${path.slice(0, 60)}…` : path;
  return renderPage(<HomePage version={VERSION} missingPath={shown} />, { status: 404 });
}
