import type { MiddlewareHandler } from "hono";

/**
 * Security headers on every response. Pages set their own CSP (scripts from
 * 'self' only); everything else gets a CSP that allows nothing. No
 * Cross-Origin-Opener-Policy: the consent popup must keep its opener to post
 * the result back.
 */
export function securityHeaders(options: { https: boolean }): MiddlewareHandler {
  return async function setSecurityHeaders(c, next) {
    await next();
    const h = c.res.headers;
    h.set("x-content-type-options", "nosniff");
    h.set("referrer-policy", "no-referrer");
    if (!h.has("x-frame-options")) h.set("x-frame-options", "DENY");
    if (!h.has("content-security-policy")) {
      h.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    }
    if (options.https) h.set("strict-transport-security", "max-age=31536000; includeSubDomains");
  };
}
