import { SecurixError } from "../errors/securix_error.ts";

/**
 * What can go wrong talking to a provider, each with a stable code. Messages
 * and details carry the provider name, the operation and the OAuth error code
 * only: never a token, code, verifier, client secret or response body, since
 * errors end up in logs and API answers.
 */

export type ProviderOperation =
  | "exchange"
  | "refresh"
  | "revoke"
  | "identity"
  | "discovery";

const VERB: Record<ProviderOperation, string> = {
  exchange: "exchange the authorization code",
  refresh: "refresh the token",
  revoke: "revoke the token",
  identity: "read the connected account",
  discovery: "discover the OpenID configuration",
};

/**
 * OAuth error codes that mean the grant is gone for good and only a new
 * consent helps (GitHub and Slack have their own words for it).
 */
const DEAD_GRANT = new Set(["invalid_grant", "bad_refresh_token", "invalid_refresh_token"]);

export const providerErrors = {
  /** The provider answered with an OAuth error (RFC 6749 §5.2 or its own shape). */
  tokenError: (provider: string, operation: ProviderOperation, oauthError: string) =>
    new SecurixError(
      "SX-PROVIDER-TOKEN-ERROR",
      `Cannot ${VERB[operation]} for "${provider}": provider returned ${safeCode(oauthError)}`,
      {
        status: 502,
        details: { provider, operation, oauthError: safeCode(oauthError) },
        llmError: DEAD_GRANT.has(oauthError)
          ? `The user's ${provider} authorization is no longer valid; ask them to reconnect.`
          : `${provider} refused the request; try again later.`,
      },
    ),
  /** Answered, but not with anything we can use (HTML, garbage JSON, no access_token). */
  badResponse: (provider: string, operation: ProviderOperation, why: string) =>
    new SecurixError(
      "SX-PROVIDER-BAD-RESPONSE",
      `Cannot ${VERB[operation]} for "${provider}": ${why}`,
      { status: 502, details: { provider, operation } },
    ),
  /** No answer: connection refused, DNS, TLS, or the timeout. */
  unreachable: (provider: string, operation: ProviderOperation, why: string) =>
    new SecurixError(
      "SX-PROVIDER-UNREACHABLE",
      `Cannot ${VERB[operation]} for "${provider}": ${why}`,
      { status: 504, details: { provider, operation } },
    ),
  unsupported: (provider: string, operation: ProviderOperation, why: string) =>
    new SecurixError(
      "SX-PROVIDER-UNSUPPORTED",
      `Cannot ${VERB[operation]} for "${provider}": ${why}`,
      { status: 400, details: { provider, operation } },
    ),
  scopeNotAllowed: (provider: string, scopes: string[]) =>
    new SecurixError(
      "SX-SCOPE-NOT-ALLOWED",
      `Scopes not allowed for ${provider}: ${
        scopes.join(", ")
      }; the operator's allowlist is in [providers.${provider}] scopes`,
      { status: 400, details: { provider, scopes } },
    ),
  /**
   * A custom OIDC provider whose issuer has not been discovered yet (down,
   * unreachable, bad document). `why` is the discovery error's message, which
   * names only the provider, the URL's origin and path, and a status.
   */
  unavailable: (provider: string, why: string, retryInS: number) =>
    new SecurixError(
      "SX-PROVIDER-UNAVAILABLE",
      `Provider "${provider}" is not available yet: ${why}. ` +
        `Its OpenID configuration is retried (next attempt in ${retryInS} s); ` +
        `check that the issuer is up and reachable from the appliance (securix doctor)`,
      {
        status: 503,
        details: { provider, retryInS },
        llmError:
          `${provider} is temporarily unavailable at this appliance; try again in a few minutes.`,
      },
    ),
  /** Startup: the configured providers cannot be put together. */
  config: (provider: string, why: string) =>
    new SecurixError("SX-PROVIDER-CONFIG", `Cannot set up provider "${provider}": ${why}`, {
      status: 500,
      details: { provider },
    }),
};

/** True when `error` says the refresh token (grant) is dead, not merely that a call failed. */
export function isInvalidGrant(error: unknown): boolean {
  return error instanceof SecurixError && error.code === "SX-PROVIDER-TOKEN-ERROR" &&
    DEAD_GRANT.has(String(error.details?.oauthError));
}

/**
 * OAuth error codes are short ASCII words (RFC 6749 §5.2 restricts them to
 * printable characters without quotes or backslashes). Anything else is not
 * echoed, in case a provider put something sensitive where the code goes.
 */
function safeCode(code: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : "an unrecognised error";
}
