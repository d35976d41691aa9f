import { proxyErrors } from "./proxy_errors.ts";

/**
 * Joins the caller's path and query onto the route's base URL and proves the
 * result stays on the upstream origin under its base path. Dot segments (also
 * with `;` parameters), encoded slashes and backslashes are refused outright
 * rather than normalised:
 * a path that needs normalising is an attack or a bug.
 */
export function upstreamUrl(base: URL, path: string, search: string): URL {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw proxyErrors.badTarget("the path is not valid percent-encoding");
  }
  // `..;x` is a dot segment to servlet containers (Tomcat, Spring): the part
  // after `;` is a path parameter they strip before resolving.
  if (
    /(^|\/)\.\.?(;[^/]*)?(\/|$)/.test(decoded) || decoded.includes("\\") ||
    /%2f|%5c|%00/i.test(path)
  ) {
    throw proxyErrors.badTarget("the path contains dot segments or encoded separators");
  }
  if (!path.startsWith("/") || path.startsWith("//")) {
    throw proxyErrors.badTarget("the path must start with a single /");
  }
  const basePath = base.pathname.replace(/\/$/, "");
  const url = new URL(base.origin);
  url.pathname = basePath + path;
  url.search = search;
  if (url.origin !== base.origin || !url.pathname.startsWith(basePath)) {
    throw proxyErrors.badTarget("the path leaves the provider's API");
  }
  return url;
}
