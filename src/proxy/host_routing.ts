/**
 * `<provider>.api.<base_domain>` → provider name. The port is ignored; with
 * `trust_proxy` the X-Forwarded-Host set by the reverse proxy wins.
 */
export function providerFromHost(
  headers: Headers,
  options: { baseDomain: string; trustProxy: boolean },
): string | null {
  const forwarded = options.trustProxy ? headers.get("x-forwarded-host") : null;
  const raw = (forwarded?.split(",")[0] ?? headers.get("host") ?? "").trim().toLowerCase();
  const host = raw.startsWith("[") ? raw : raw.replace(/:\d+$/, "");
  const suffix = `.api.${options.baseDomain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return null;
  const name = host.slice(0, -suffix.length);
  return /^[a-z0-9_-]{1,64}$/.test(name) ? name : null;
}

/** `/proxy/<provider>/<rest>` → provider and upstream path, for hosts without wildcard DNS. */
export function providerFromPath(pathname: string): { provider: string; path: string } | null {
  const match = /^\/proxy\/([a-z0-9_-]{1,64})(\/.*)?$/.exec(pathname);
  if (!match) return null;
  return { provider: match[1], path: match[2] ?? "/" };
}
