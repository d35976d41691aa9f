import type { SecurixError } from "../errors/securix_error.ts";
import type { ConnectionStatus } from "./connection_types.ts";
import {
  NEEDS_REAUTH_DETAILS,
  notConnectedError,
  pausedError,
  tokenExpiredError,
} from "./credential_errors.ts";

/**
 * Which refusal a connection's status earns when a caller wants to use its
 * credential, whichever door asked (the proxy and MCP, the connection-id
 * gateway): so code, HTTP status and the `details` every door shares are
 * decided here, once. Doors only word the message and `llmError` for their
 * callers, and only where the words must differ.
 */
export type Refusal = "not_connected" | "paused" | "needs_reauth";

/** null: usable. A Record, so a new status cannot be added without deciding its answer. */
export const REFUSALS: Readonly<Record<ConnectionStatus, Refusal | null>> = {
  active: null,
  pending: "not_connected",
  // A revoked connection has no credential left: the app starts a new consent, as for none.
  revoked: "not_connected",
  paused: "paused",
  needs_reauth: "needs_reauth",
};

export interface RefusalWords {
  message: string;
  llmError: string;
  /** Added to the refusal's own details (a door's compatibility fields). */
  details?: Record<string, unknown>;
}

/** One door's words; `paused` reads the same at every door unless a door gives its own. */
export interface DoorWording {
  /** `status` null: there is no connection at all. */
  notConnected(provider: string, status: ConnectionStatus | null): RefusalWords;
  needsReauth(provider: string): RefusalWords;
  paused?(provider: string): RefusalWords;
}

function pausedWords(provider: string): RefusalWords {
  return {
    message: `The ${provider} connection is paused`,
    llmError: `The user paused access to ${provider}; ask them to resume it before trying again.`,
  };
}

/**
 * The refusal for a connection in `status` (null: none exists), worded by
 * `door`; null when the connection may be used.
 */
export function connectionRefusal(
  status: ConnectionStatus | null,
  provider: string,
  door: DoorWording,
): SecurixError | null {
  if (status === "active") return null;
  // `connections.status` is plain text: a value no release knows (a downgrade, a hand edit)
  // must refuse, not fall through as usable, so anything unlisted reads as not connected.
  const refusal = status !== null && Object.hasOwn(REFUSALS, status)
    ? REFUSALS[status] ?? "not_connected"
    : "not_connected";
  return refusalError(refusal, provider, status, door);
}

/** One refusal by name, for a door that learns the status otherwise (a refresh the provider refused). */
export function refusalError(
  refusal: Refusal,
  provider: string,
  status: ConnectionStatus | null,
  door: DoorWording,
): SecurixError {
  switch (refusal) {
    case "not_connected": {
      const { message, ...wording } = door.notConnected(provider, status);
      return notConnectedError(message, wording);
    }
    case "paused": {
      const { message, ...wording } = (door.paused ?? pausedWords)(provider);
      return pausedError(message, wording);
    }
    case "needs_reauth": {
      const { message, llmError, details } = door.needsReauth(provider);
      // details.status tells a refused refresh token from a passing SX-TOKEN-EXPIRED at every door.
      return tokenExpiredError(message, {
        llmError,
        details: { ...details, ...NEEDS_REAUTH_DETAILS },
      });
    }
    default:
      throw new Error(`unknown refusal ${String(refusal satisfies never)}`);
  }
}
