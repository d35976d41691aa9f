/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the de-facto ones proxies strip. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Caller headers that must never reach a provider. */
const CALLER_ONLY = new Set([
  "authorization",
  "cookie",
  "host",
  "content-length",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
]);

function connectionListed(headers: Headers): Set<string> {
  const listed = new Set<string>();
  for (const token of (headers.get("connection") ?? "").split(",")) {
    const name = token.trim().toLowerCase();
    if (name) listed.add(name);
  }
  return listed;
}

/**
 * The headers sent upstream: everything the caller sent except securix-*,
 * x-securix-*, credentials, cookies, hop-by-hop headers and any header the
 * caller named in Connection.
 */
export function upstreamRequestHeaders(incoming: Headers): Headers {
  const listed = connectionListed(incoming);
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (
      HOP_BY_HOP.has(name) || CALLER_ONLY.has(name) || listed.has(name) ||
      name.startsWith("securix-") || name.startsWith("x-securix-")
    ) continue;
    out.append(name, value);
  }
  return out;
}

/** The headers returned to the caller: no hop-by-hop headers, no cookies from the provider. */
export function downstreamResponseHeaders(upstream: Headers): Headers {
  const listed = connectionListed(upstream);
  const out = new Headers();
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || name === "set-cookie") continue;
    if (name === "content-length" || name === "content-encoding") {
      out.set(name, value);
      continue;
    }
    out.append(name, value);
  }
  return out;
}
