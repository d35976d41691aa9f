import type { Context } from "hono";
import { getConnInfo } from "hono/deno";
import { canonicalAddress, parseAddress, type TrustedProxies } from "../config/trusted_proxies.ts";

/**
 * The client's address as the edge counts it (lockouts, guessing limits,
 * audit): the socket peer, unless the peer is a trusted proxy. Then the
 * X-Forwarded-For hops are read from the right, past every trusted proxy, to
 * the first address a trusted hop vouched for. Entries further left were
 * written by the client and would let anyone pick the address counted.
 */
export function forwardedClient(
  peer: string,
  forwardedFor: string | null | undefined,
  trusted: TrustedProxies,
  /** `trusted(peer)`, when the caller has it already (the proxy routes on it too). */
  peerTrusted?: boolean,
): string {
  if (!forwardedFor || !(peerTrusted ?? trusted(peer))) return peer;
  let client = peer;
  const hops = forwardedFor.split(",");
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i].trim();
    // Not an address: the proxy to its right is the last one we can vouch for.
    const parsed = parseAddress(hop);
    if (!parsed) return client;
    // Canonical, without an IPv6 zone id: one client, one key for lockouts and summaries.
    client = canonicalAddress(parsed);
    if (!trusted(hop)) return client;
  }
  return client;
}

/** The socket peer of a Hono request (Deno's conn info), or "unknown" off a socket. */
export function socketPeer(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** The client address of a Hono request; see `forwardedClient`. */
export function clientAddress(trusted: TrustedProxies): (c: Context) => string {
  return function readClientAddress(c) {
    return forwardedClient(socketPeer(c), c.req.header("x-forwarded-for"), trusted);
  };
}
