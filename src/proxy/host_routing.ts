/**
 * `<provider>.api.<base_domain>` → provider name. The port is ignored; with
 * `trust_proxy` the X-Forwarded-Host set by the reverse proxy wins. HTTP/2
 * requests carry no Host header; their `:authority` is `authority`, the host
 * of the request URL.
 */
export function providerFromHost(
  headers: Headers,
  options: { baseDomain: string; trustProxy: boolean },
  authority = "",
): string | null {
  const forwarded = options.trustProxy ? headers.get("x-forwarded-host") : null;
  const sent = forwarded?.split(",")[0] ?? headers.get("host") ?? authority;
  if (sent === last.sent && options.baseDomain === last.baseDomain) return last.name;
  const raw = sent.trim().toLowerCase();
  const host = raw.startsWith("[") ? raw : raw.replace(/:\d+$/, "");
  const suffix = `.api.${options.baseDomain.toLowerCase()}`;
  const name = host.endsWith(suffix) ? host.slice(0, -suffix.length) : "";
  const provider = /^[a-z0-9_-]{1,64}$/.test(name) ? name : null;
  last = { sent, baseDomain: options.baseDomain, name: provider };
  return provider;
}

/**
 * The last Host routed and its provider: a client's calls repeat one Host,
 * so most calls skip the parse (a pure function of the two strings).
 */
let last: { sent: string; baseDomain: string; name: string | null } = {
  sent: "",
  baseDomain: "",
  name: null,
};

/** `/proxy/<provider>/<rest>` → provider and upstream path, for hosts without wildcard DNS. */
export function providerFromPath(pathname: string): { provider: string; path: string } | null {
  const match = /^\/proxy\/([a-z0-9_-]{1,64})(\/.*)?$/.exec(pathname);
  if (!match) return null;
  return { provider: match[1], path: match[2] ?? "/" };
}

/** `host[:port]` or `[v6]:port`: nothing that could end the authority early in a URL. */
const HOST_HEADER = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The request's URL, or null when the Host header is not a plain `host[:port]`
 * or the URL does not parse. Deno builds `req.url` by pasting the Host header
 * in front of the target, so a Host such as `x/v1/agents#` or `x@y` would
 * otherwise rewrite the path every router after this sees.
 */
export function requestUrl(url: string, host: string | null): URL | null {
  if (host !== null && !HOST_HEADER.test(host)) return null;
  return URL.parse(url);
}

/**
 * The path exactly as the client sent it. `new URL()` resolves `..`, `%2e%2e`
 * and `\`, which would turn `/proxy/gmail/../../v1/…` into an appliance route;
 * the proxy routes on the raw path instead, and `upstreamUrl` refuses whatever
 * would need resolving. Also its authority as Deno built it (the HTTP/2
 * `:authority`), unparsed.
 */
export function requestTarget(requestUrl: string): { authority: string; path: string } {
  const rest = requestUrl.slice(requestUrl.indexOf("://") + 3);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  if (authorityEnd < 0 || rest[authorityEnd] !== "/") return { authority, path: "/" };
  const path = rest.slice(authorityEnd);
  const pathEnd = path.search(/[?#]/);
  return { authority, path: pathEnd < 0 ? path : path.slice(0, pathEnd) };
}
