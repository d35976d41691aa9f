import { SecurixError } from "../errors/securix_error.ts";
import type { Connection } from "./connection_types.ts";
import { NEEDS_REAUTH_DETAILS, tokenExpiredError } from "./credential_errors.ts";

/**
 * What an operator's action on one connection can run into, each with a
 * stable code. Messages name the connection and provider only, never a token.
 */
export const connectionErrors = {
  notFound: (id: string) =>
    new SecurixError(
      "SX-CONNECTION-NOT-FOUND",
      `No connection "${id}"; see "securix connections list"`,
      { status: 404, details: { connectionId: id } },
    ),
  /** The connection is in a status the action does not apply to. */
  state: (c: Connection, action: string, why: string) =>
    new SecurixError(
      "SX-CONNECTION-STATE",
      `Cannot ${action} connection "${c.id}": it is ${c.status}; ${why}`,
      { status: 409, details: { connectionId: c.id, status: c.status } },
    ),
  /** Nothing to refresh with: provider not enabled or without refresh, or no refresh token. */
  refreshUnsupported: (c: Connection, why: string) =>
    new SecurixError(
      "SX-REFRESH-UNSUPPORTED",
      `Cannot refresh token for connection "${c.id}" (${c.provider}): ${why}`,
      { status: 400, details: { connectionId: c.id, provider: c.provider } },
    ),
  /**
   * The provider said the grant is dead; the connection was marked
   * needs_reauth. SX-TOKEN-EXPIRED, as the proxy and gateway answer it.
   */
  needsReauth: (c: Connection) =>
    tokenExpiredError(
      `Cannot refresh token for connection "${c.id}": ${c.provider} returned invalid_grant; ` +
        `the connection is now needs_reauth and the user must reconnect ${c.provider} ` +
        `(entity "${c.entityId}")`,
      {
        details: { connectionId: c.id, provider: c.provider, ...NEEDS_REAUTH_DETAILS },
        llmError:
          `The user's ${c.provider} authorization is no longer valid; ask them to reconnect ${c.provider} through the app.`,
      },
    ),
  /** A passing failure (provider down, 5xx, a lease held elsewhere): try again later. */
  refreshFailed: (c: Connection, cause: SecurixError) =>
    new SecurixError(
      "SX-REFRESH-FAILED",
      `Connection "${c.id}" was not refreshed and keeps its current token: ${cause.message}`,
      {
        status: 502,
        details: { connectionId: c.id, provider: c.provider, cause: cause.code },
        cause,
      },
    ),
};
