import { proxyErrors } from "./proxy_errors.ts";

export interface UpstreamPathOptions {
  /**
   * The provider needs `%2F` inside a segment (GitLab: `projects/group%2Fproject`,
   * `repository/files/src%2Fa.rb`): it is forwarded as sent, never decoded.
   */
  encodedSlashes?: boolean;
}

/**
 * Joins the caller's path and query onto the route's base URL and proves the
 * result stays on the upstream origin under its base path. Dot segments (also
 * with `;` parameters), encoded slashes (unless the provider needs them) and
 * backslashes are refused outright rather than normalised:
 * a path that needs normalising is an attack or a bug.
 */
export function upstreamUrl(
  base: URL,
  path: string,
  search: string,
  options: UpstreamPathOptions = {},
): URL {
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
    (options.encodedSlashes === true ? /%5c|%00/i : /%2f|%5c|%00/i).test(path)
  ) {
    throw proxyErrors.badTarget("the path contains dot segments or encoded separators");
  }
  if (options.encodedSlashes === true && !encodedSlashesPlain(path)) {
    throw proxyErrors.badTarget(
      "an encoded slash makes an empty segment, or a separator is encoded twice",
    );
  }
  if (!path.startsWith("/") || path.startsWith("//")) {
    throw proxyErrors.badTarget("the path must start with a single /");
  }
  const { origin, basePath } = baseParts(base);
  const url = joined(origin, basePath, path, search);
  if (url.origin !== origin || !url.pathname.startsWith(basePath)) {
    throw proxyErrors.badTarget("the path leaves the provider's API");
  }
  return url;
}

/**
 * Where encoded slashes are allowed, each one must split its segment into
 * non-empty parts (`group%2Fproject`, not `%2Fgroup` or `a%2F%2Fb`): the
 * operation map and `path_matches` read such a segment as its parts, and an
 * empty part is a form neither has to guess about. A separator encoded
 * twice (`%252F`, `%252e`) is refused too: a provider that decodes slashes
 * in a segment may decode once more further in, where no check runs.
 */
function encodedSlashesPlain(path: string): boolean {
  if (/%25(2f|2e|5c|00)/i.test(path)) return false;
  for (const segment of path.split("/")) {
    if (!/%2f/i.test(segment)) continue;
    if (segment.split(/%2f/i).some((part) => part === "")) return false;
  }
  return true;
}

/** A route's base URL never changes: its origin and path are read once, not per call. */
const parts = new WeakMap<URL, { origin: string; basePath: string; href: string }>();

function baseParts(base: URL): { origin: string; basePath: string } {
  const known = parts.get(base);
  // `href` guards against a base URL changed after its first use.
  if (known !== undefined && known.href === base.href) return known;
  const fresh = {
    origin: base.origin,
    basePath: base.pathname.replace(/\/$/, ""),
    href: base.href,
  };
  parts.set(base, fresh);
  return fresh;
}

/**
 * Visible ASCII but `#` (and no `?` in the path): parsed from one string, the
 * URL is the one the `pathname`/`search` setters make (same percent-encode
 * sets), at a twentieth of their cost. Anything else (a space, a control or
 * non-ASCII character, `#`, which the setters encode but a parse reads as a
 * fragment) goes through the setters as before.
 */
const PLAIN_PATH = /^[\x21\x22\x24-\x3e\x40-\x7e]*$/;
const PLAIN_QUERY = /^[\x21\x22\x24-\x7e]*$/;

function joined(origin: string, basePath: string, path: string, search: string): URL {
  if (PLAIN_PATH.test(path) && PLAIN_QUERY.test(search) && (search === "" || search[0] === "?")) {
    return new URL(origin + basePath + path + search);
  }
  const url = new URL(origin);
  url.pathname = basePath + path;
  url.search = search;
  return url;
}
