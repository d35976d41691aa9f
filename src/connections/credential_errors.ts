import { SecurixError } from "../errors/securix_error.ts";

/**
 * The refusals every front door (proxy, MCP, connection-id gateway, CLI and
 * console refresh) gives when a connection's credential cannot be used. Each
 * code gets its HTTP status here and nowhere else, so the same situation
 * answers the same code and status whichever door an app or agent came in by;
 * each door only words the message and `llmError` for its own callers.
 */
interface Wording {
  llmError: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * SX-TOKEN-EXPIRED (401): the credential cannot be used and the appliance
 * cannot renew it, including a connection whose refresh token the provider
 * refused (status `needs_reauth`: the user must connect again).
 */
export function tokenExpiredError(message: string, wording: Wording): SecurixError {
  return new SecurixError("SX-TOKEN-EXPIRED", message, { status: 401, ...wording });
}

/**
 * SX-NOT-CONNECTED (401): the entity or connection id has no connection the
 * app may use yet (none, still pending, or revoked). 401 like SX-TOKEN-EXPIRED:
 * both mean "no credential to call with", and apps branch on the code.
 */
export function notConnectedError(message: string, wording: Wording): SecurixError {
  return new SecurixError("SX-NOT-CONNECTED", message, { status: 401, ...wording });
}

/**
 * SX-PAUSED (403): the user or an operator paused the connection; resuming it
 * is the only way on, so it is not a 401 an app would answer by reconnecting.
 */
export function pausedError(message: string, wording: Wording): SecurixError {
  return new SecurixError("SX-PAUSED", message, { status: 403, ...wording });
}

/** The proxy's words for an SX-TOKEN-EXPIRED, also its answer to a needs_reauth connection. */
export function tokenExpiredWords(provider: string, detail: string) {
  return {
    message: `The ${provider} credential cannot be used: ${detail}`,
    llmError:
      `The user's ${provider} connection has expired or was revoked; ask them to reconnect ${provider} through the app.`,
  };
}

export function tokenExpired(
  provider: string,
  detail: string,
  details?: Record<string, unknown>,
): SecurixError {
  const { message, llmError } = tokenExpiredWords(provider, detail);
  return tokenExpiredError(message, { llmError, ...(details ? { details } : {}) });
}

/**
 * A renewal that failed for now (the provider did not answer, or another
 * process holds the refresh): the connection is fine and a retry will do, so
 * the agent is told to wait, not to send the user to reconnect.
 * `details.status: "retry"` and Retry-After say when.
 */
const RETRY_DETAILS = { status: "retry" } as const;

export function refreshPending(
  provider: string,
  detail: string,
  retryAfterMs: number,
): SecurixError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new SecurixError(
    "SX-TOKEN-EXPIRED",
    `The ${provider} credential cannot be used right now: ${detail}`,
    {
      status: 401,
      details: { ...RETRY_DETAILS, retryAfter: seconds },
      headers: [["retry-after", String(seconds)]],
      llmError:
        `The appliance could not renew the user's ${provider} access just now. Wait ${seconds} seconds and retry the same call; do not ask the user to reconnect.`,
    },
  );
}

/**
 * The provider refused the refresh token (the connection is needs_reauth).
 * `details.status` is what every door adds to tell this from a passing
 * SX-TOKEN-EXPIRED (a refresh the provider did not answer): only the user
 * connecting again helps.
 */
export const NEEDS_REAUTH_DETAILS = { status: "needs_reauth" } as const;

export function needsReauth(provider: string, detail: string): SecurixError {
  return tokenExpired(provider, detail, { ...NEEDS_REAUTH_DETAILS });
}

export const credentialErrors = {
  /** A vault record that decrypts but is not a credential this version understands. */
  unreadable(detail: string): SecurixError {
    return new SecurixError(
      "SX-CREDENTIAL-UNREADABLE",
      `The stored credential cannot be read: ${detail}`,
      {
        status: 500,
        llmError:
          "The connection's stored credential is damaged or from a newer appliance; ask the user to reconnect.",
      },
    );
  },
};
