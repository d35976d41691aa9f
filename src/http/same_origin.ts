/** How a page family's own form posts present themselves, so the rest can be told apart. */
export interface OwnPosts {
  /**
   * Whether `Origin: null` may be ours. Pages sent with `Referrer-Policy:
   * no-referrer` (every end-user page) make the browser send `null` on their
   * own posts; pages sent with `same-origin` (the console) get their real
   * origin, so there `null` only comes from an opaque origin (a sandboxed
   * frame, a `data:` page) or another site's no-referrer page: foreign.
   */
  nullOrigin: "ours" | "foreign";
  /**
   * `[server] public_url`'s origin, also ours: a reverse proxy may hand the
   * request on with its own Host.
   */
  publicOrigin?: string;
}

/**
 * A form post another site made. The browser's `Sec-Fetch-Site` decides
 * when sent (only same-origin, or a user's own navigation, passes): the
 * browser compares the page's origin itself, whatever Host a reverse proxy
 * puts on the request. Without it, an Origin must be ours — the request's
 * Host or `publicOrigin`, `null` as `own.nullOrigin` says; a malformed one is
 * foreign; none (curl, older browsers) passes. What passes here still needs
 * the form's CSRF token.
 */
export function foreignPost(
  header: (name: string) => string | undefined,
  url: string,
  own: OwnPosts,
): boolean {
  const site = header("sec-fetch-site");
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = header("origin");
  if (!origin) return false;
  if (origin === "null") return own.nullOrigin === "foreign";
  try {
    const o = new URL(origin);
    if (own.publicOrigin !== undefined && o.origin === own.publicOrigin) return false;
    return o.host !== (header("host") ?? new URL(url).host);
  } catch {
    return true;
  }
}
