import { ACCOUNT_MISMATCH } from "./account_swap.ts";
import { DEVICE_CODE_ATTEMPTS } from "./device_code.ts";

/** The reasons the flows store when a session ends, in an operator's words. */
const REASONS: Record<string, string> = {
  access_denied: "The user declined access at the provider",
  user_cancelled: "The user cancelled the consent",
  session_expired: "The session expired before the consent finished",
  too_many_attempts: "Too many credentials were refused by the provider",
  [DEVICE_CODE_ATTEMPTS.reason]:
    "The device code was entered in too many other browsers (SX-DEVICE-CODE-ATTEMPTS)",
  [ACCOUNT_MISMATCH.reason]:
    "An agent's consent offered another account than the one connected (SX-ACCOUNT-MISMATCH)",
  sxc_mismatch: "The app's confirmation did not match what the browser committed to (sxc)",
  token_exchange_failed: "The provider refused to exchange the authorization code for tokens",
  no_code: "The provider came back without an authorization code",
  app_deleted: "The app was deleted while the consent was open",
};

/**
 * A session's failure reason in words; a reason we did not name is the
 * provider's own `error` parameter, shown as such. Null when there is none.
 */
export function reasonText(reason: string | null): string | null {
  if (reason === null) return null;
  return REASONS[reason] ?? `The provider answered with error "${reason}"`;
}
