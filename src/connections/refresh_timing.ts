import type { OAuthCredential } from "./connection_types.ts";

/**
 * The share of a token's lifetime kept as refresh margin when the lifetime is
 * short. A fixed margin longer than the lifetime (a 60 s skew on a 30 s
 * token) would make every use of every new token refresh it again.
 */
export const MAX_SKEW_SHARE = 0.25;

/**
 * When a credential should be refreshed: `skewMs` before it expires, but
 * never earlier than three quarters into its lifetime when the lifetime is
 * known (`obtainedAt`). Null when the expiry is unknown: such a token is used
 * until the provider answers 401.
 */
export function refreshDueAt(
  credential: Pick<OAuthCredential, "expiresAt" | "obtainedAt">,
  skewMs: number,
): number | null {
  const { expiresAt, obtainedAt } = credential;
  if (expiresAt === null) return null;
  if (obtainedAt === undefined || obtainedAt === null || obtainedAt >= expiresAt) {
    return expiresAt - skewMs;
  }
  const margin = Math.min(skewMs, (expiresAt - obtainedAt) * MAX_SKEW_SHARE);
  return expiresAt - margin;
}

/** True when `credential` is due for a refresh at `now`. */
export function refreshDue(
  credential: Pick<OAuthCredential, "expiresAt" | "obtainedAt">,
  skewMs: number,
  now: number,
): boolean {
  const due = refreshDueAt(credential, skewMs);
  return due !== null && due <= now;
}
