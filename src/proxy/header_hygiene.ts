import { type HeaderPairs, setPair } from "./header_pairs.ts";
import { formPairs } from "./form_pairs.ts";

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

/** The field names a Connection header lists (lower case). */
export function connectionListed(connection: string | null): Set<string> {
  const listed = new Set<string>();
  if (connection === null) return listed;
  for (const token of connection.split(",")) {
    const name = token.trim().toLowerCase();
    if (name) listed.add(name);
  }
  return listed;
}

/**
 * A caller header (lower-case name) that may go upstream, apart from those
 * named in Connection: not securix-*, x-securix-*, credentials, cookies or
 * hop-by-hop headers, and none whose name has an underscore. CGI-style
 * servers (Rack under Puma, PHP, WSGI) map `-` and `_` alike to `HTTP_…`,
 * so `X_HTTP_METHOD_OVERRIDE` or `Securix_Api_Key` would be the header every
 * check here reads by its dashed name; nginx drops them by default too.
 */
export function forwardable(name: string): boolean {
  return !(HOP_BY_HOP.has(name) || CALLER_ONLY.has(name) || name.startsWith("securix-") ||
    name.startsWith("x-securix-") || name.includes("_"));
}

/**
 * The headers sent upstream: everything the caller sent except securix-*,
 * x-securix-*, credentials, cookies, hop-by-hop headers, names with an
 * underscore and any header the caller named in Connection. (The proxy gets the same pairs from
 * `readSentHeaders`, in its one pass over the caller's headers.)
 */
export function upstreamRequestHeaders(incoming: Headers): Headers {
  const listed = connectionListed(incoming.get("connection"));
  const out = new Headers();
  for (const [name, value] of incoming) {
    if (forwardable(name) && !listed.has(name)) out.append(name, value);
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
 * Media types a browser renders as a document that can run script. An
 * upstream answer of one of these, opened from the appliance's origin, would
 * otherwise run with that origin (its cookies, its other pages).
 */
const ACTIVE_DOCUMENTS = new Set([
  "text/html",
  "application/xhtml+xml",
  "image/svg+xml",
  "text/xml",
  "application/xml",
]);

/**
 * True when a Content-Type (possibly several, comma-joined, of which a
 * browser takes the last valid one) may render as an active document. No
 * Content-Type at all counts: a browser may sniff it into HTML.
 */
function rendersActive(contentType: string | null): boolean {
  if (contentType === null) return true;
  for (const part of contentType.split(",")) {
    const semi = part.indexOf(";");
    const essence = (semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase();
    if (essence === "" || ACTIVE_DOCUMENTS.has(essence)) return true;
  }
  return false;
}

/**
 * Answer fields that set policy for a whole origin, not one answer: from a
 * provider they would land on the appliance's origin (`/proxy/…`) or its
 * proxy host, so a provider's HSTS, Clear-Site-Data, Alt-Svc (where to
 * connect next time), error reporting endpoints or client hints would be
 * the appliance's.
 */
const ORIGIN_WIDE = new Set([
  "strict-transport-security",
  "clear-site-data",
  "alt-svc",
  "public-key-pins",
  "public-key-pins-report-only",
  "nel",
  "report-to",
  "reporting-endpoints",
  "service-worker-allowed",
  "accept-ch",
  "critical-ch",
  "origin-agent-cluster",
]);

/**
 * The headers returned to the caller: no hop-by-hop headers, no origin-wide
 * policy (ORIGIN_WIDE), no cookies from
 * the provider, and, when the transport `decoded` the body (fetch() undoes
 * gzip and br), no Content-Encoding/Content-Length describing a compression
 * that is gone (forwarded, they make every client fail to gunzip plain JSON).
 *
 * Every answer gets `X-Content-Type-Options: nosniff`; documents that can
 * run script (HTML, XHTML, SVG, XML, or no type at all) also get
 * `Content-Security-Policy: sandbox`, so a provider's page (or an attacker's
 * mail rendered by one) runs in an opaque origin, never as the appliance.
 * An upstream CSP is kept beside ours, not replaced: a browser enforces
 * every policy it is given, so the upstream's can only narrow what ours
 * allows, and ours always sandboxes whatever the upstream's says.
 * One pass over the upstream headers: this runs on every proxied answer.
 */
export function downstreamResponseHeaders(upstream: Headers, decoded: boolean): Headers {
  return new Headers(downstreamResponsePairs([...upstream], decoded));
}

/** `downstreamResponseHeaders` on pairs (names in any case), as the proxy uses it. */
export function downstreamResponsePairs(
  upstream: readonly (readonly [string, string])[],
  decoded: boolean,
): HeaderPairs {
  let listed: Set<string> | null = null;
  for (const [name, value] of upstream) {
    if (name.toLowerCase() === "connection") {
      for (const n of connectionListed(value)) (listed ??= new Set()).add(n);
    }
  }
  const out: HeaderPairs = [];
  let contentType: string | null = null;
  for (const [sent, value] of upstream) {
    const name = sent.toLowerCase();
    if (HOP_BY_HOP.has(name) || listed?.has(name) || name === "set-cookie") continue;
    if (ORIGIN_WIDE.has(name)) continue;
    if (name === "x-content-type-options") continue;
    if (name === "content-length" || name === "content-encoding") {
      if (!decoded) setPair(out, name, value);
      continue;
    }
    if (name === "content-type") {
      contentType = contentType === null ? value : `${contentType}, ${value}`;
    }
    out.push([name, value]);
  }
  out.push(["x-content-type-options", "nosniff"]);
  if (rendersActive(contentType)) out.push(["content-security-policy", "sandbox"]);
  return out;
}

/** Answer fields whose value holds URLs (Link: each `<…>`). */
const URL_FIELDS = new Set(["location", "content-location", "link"]);

/**
 * Drops the query parameter `name` (the one a `query_param` credential is
 * injected as) from every URL in the answer's Location, Content-Location and
 * Link fields: a provider builds a redirect or a next-page link from the URL
 * it was sent, key included, and the caller must never see the key.
 */
export function withoutUrlParam(pairs: HeaderPairs, name: string): void {
  for (const pair of pairs) {
    const field = pair[0].toLowerCase();
    if (!URL_FIELDS.has(field)) continue;
    pair[1] = field === "link"
      ? pair[1].replace(/<([^>]*)>/g, (_, url: string) => `<${dropParam(url, name)}>`)
      : dropParam(pair[1], name);
  }
}

function dropParam(url: string, name: string): string {
  const q = url.indexOf("?");
  if (q === -1) return url;
  const hash = url.indexOf("#", q);
  const end = hash === -1 ? url.length : hash;
  // Split on `&` alone: the kept pairs are joined again with it.
  const kept = formPairs(url.slice(q + 1, end), "&").filter((pair) => pair.name !== name);
  const query = kept.length > 0 ? `?${kept.map((pair) => pair.raw).join("&")}` : "";
  return `${url.slice(0, q)}${query}${url.slice(end)}`;
}
