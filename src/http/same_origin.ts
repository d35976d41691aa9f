/**
 * A form post another site made, for pages sent with `Referrer-Policy:
 * no-referrer` (every end-user page): their own posts carry `Origin: null`,
 * so the browser's `Sec-Fetch-Site` decides (only same-origin, or a user's
 * own navigation, passes); without it, an Origin other than null must be
 * ours — the request's Host or `publicOrigin` (`[server] public_url`'s, as a
 * reverse proxy may hand the request on with its own Host). What passes here
 * still needs the form's CSRF token.
 */
export function foreignPost(
  header: (name: string) => string | undefined,
  url: string,
  publicOrigin?: string,
): boolean {
  const site = header("sec-fetch-site");
  if (site !== undefined) return site !== "same-origin" && site !== "none";
  const origin = header("origin");
  if (!origin || origin === "null") return false;
  try {
    const o = new URL(origin);
    if (publicOrigin !== undefined && o.origin === publicOrigin) return false;
    return o.host !== (header("host") ?? new URL(url).host);
  } catch {
    return true;
  }
}
