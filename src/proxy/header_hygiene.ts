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

/**
 * Content codings fetch() decodes by itself (the proxy's own transport
 * decodes nothing; fetch_transport.ts serves test doubles). Like browsers and undici, Deno's
 * fetch hands back the decoded body but keeps Content-Encoding and
 * Content-Length as they were on the wire; Deno 2.9 decodes exactly one
 * `gzip` or `br` coding (any case) and passes deflate, zstd and stacked
 * codings through untouched.
 */
const DECODED_BY_FETCH = new Set(["gzip", "br"]);

/** The body of a fetch() response with these headers is already decoded. */
export function decodedByFetch(upstream: Headers): boolean {
  const coding = upstream.get("content-encoding");
  return coding !== null && DECODED_BY_FETCH.has(coding.trim().toLowerCase());
}

/**
 * The headers returned to the caller: no hop-by-hop headers, no cookies from
 * the provider, and, when the transport `decoded` the body (fetch() undoes
 * gzip and br), no Content-Encoding/Content-Length describing a compression
 * that is gone (forwarded, they make every client fail to gunzip plain JSON).
 */
export function downstreamResponseHeaders(upstream: Headers, decoded: boolean): Headers {
  const listed = connectionListed(upstream);
  const out = new Headers();
  for (const [name, value] of upstream) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || name === "set-cookie") continue;
    if (decoded && (name === "content-encoding" || name === "content-length")) continue;
    if (name === "content-length" || name === "content-encoding") {
      out.set(name, value);
      continue;
    }
    out.append(name, value);
  }
  return out;
}
