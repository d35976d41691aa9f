import type { Context } from "hono";
import { getConnInfo } from "hono/deno";

/**
 * The client's address: the socket peer, or the first X-Forwarded-For hop
 * when `trust_proxy` says a reverse proxy in front sets it.
 */
export function clientAddress(trustProxy: boolean): (c: Context) => string {
  return function readClientAddress(c) {
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
      if (forwarded) return forwarded;
    }
    try {
      return getConnInfo(c).remote.address ?? "unknown";
    } catch {
      return "unknown";
    }
  };
}
