import type { MiddlewareHandler } from "hono";
import { verifyCsrf } from "../flows/csrf.ts";
import { foreignPost, type OwnPosts } from "../http/same_origin.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import type { ConsoleEnv } from "./console_session.ts";

/**
 * The console's pages are sent with `Referrer-Policy: same-origin`
 * (console_app.tsx), so its own posts carry its origin, never `null`. No
 * public URL: a reverse proxy that rewrites Host is seen through
 * `Sec-Fetch-Site`, which every current browser sends.
 */
const CONSOLE_POSTS: OwnPosts = { nullOrigin: "foreign" };

/**
 * Every POST of a signed-in admin carries the session's CSRF token in the
 * form (`_csrf`), and no foreign Origin. SameSite=Strict already keeps the
 * cookie off cross-site requests; this refuses what slips past it.
 */
export function requireCsrf(deps: ConsoleDeps): MiddlewareHandler<ConsoleEnv> {
  return async function consoleCsrf(c, next) {
    if (c.req.method !== "POST") return await next();
    if (foreignPost((name) => c.req.header(name), c.req.url, CONSOLE_POSTS)) {
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
