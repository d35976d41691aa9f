import type { Context } from "hono";
import { getConnInfo } from "hono/deno";

/**
 * The client's address: the socket peer, or the last X-Forwarded-For hop
 * when `trust_proxy` says a reverse proxy in front sets it. The last hop is
 * the one our proxy wrote; earlier entries come from the client and would let
 * anyone pick the address the guessing limits count against.
 */
export function clientAddress(trustProxy: boolean): (c: Context) => string {
  return function readClientAddress(c) {
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
      if (forwarded) return forwarded;
    }
    try {
      return getConnInfo(c).remote.address ?? "unknown";
    } catch {
      return "unknown";
    }
  };
}
