import type { MiddlewareHandler } from "hono";
import { verifyCsrf } from "../flows/csrf.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import type { ConsoleEnv } from "./console_session.ts";

/**
 * Every POST of a signed-in admin carries the session's CSRF token in the
 * form (`_csrf`), and no foreign Origin. SameSite=Strict already keeps the
 * cookie off cross-site requests; this refuses what slips past it.
 */
export function requireCsrf(deps: ConsoleDeps): MiddlewareHandler<ConsoleEnv> {
  return async function consoleCsrf(c, next) {
    if (c.req.method !== "POST") return await next();
    const site = c.req.header("sec-fetch-site");
    if (
      (site !== undefined && site !== "same-origin" && site !== "none") ||
      !sameOrigin(c.req.header("origin"), c.req.url, c.req.header("host"))
    ) {
      return c.text("Cross-origin form refused\n", 403);
    }
    const form = await c.req.parseBody();
    const presented = typeof form._csrf === "string" ? form._csrf : "";
    if (!verifyCsrf(deps.csrfKey, c.get("session").id, "console", presented)) {
      return c.text("Missing or wrong CSRF token; reload the page and try again\n", 403);
    }
    await next();
  };
}

/** No Origin (older browsers, curl) passes to the token check; a foreign one does not. */
export function sameOrigin(origin: string | undefined, url: string, host: string | undefined) {
  if (!origin) return true;
  if (origin === "null") return false;
  try {
    const o = new URL(origin);
    return o.host === (host ?? new URL(url).host);
  } catch {
    return false;
  }
}
