import { SecurixError } from "../errors/securix_error.ts";

/** The flows' failure modes, each with its stable code. */
export const flowErrors = {
  invalidInput: (message: string) => new SecurixError("SX-INVALID-INPUT", message, { status: 400 }),
  unknownProvider: (name: string) =>
    new SecurixError("SX-UNKNOWN-PROVIDER", `Unknown provider "${name}"`, { status: 400 }),
  providerDisabled: (name: string) =>
    new SecurixError(
      "SX-PROVIDER-DISABLED",
      `Provider "${name}" is not enabled on this appliance; the operator adds [providers.${name}] to securix.toml`,
      { status: 400 },
    ),
  originNotAllowed: (origin: string, appName: string) =>
    new SecurixError(
      "SX-ORIGIN-NOT-ALLOWED",
      `Origin ${origin} is not registered for app ${appName}; the operator allows it with "securix apps update ${appName} --origin ${origin}"`,
      { status: 400, details: { origin } },
    ),
  sessionNotFound: () =>
    new SecurixError("SX-SESSION-NOT-FOUND", "No such auth session", { status: 404 }),
  sessionEnded: (status: string, reason: string | null) =>
    new SecurixError(
      status === "expired" ? "SX-SESSION-EXPIRED" : "SX-SESSION-ENDED",
      `The auth session has ${status === "expired" ? "expired" : `ended (${status})`}${
        reason ? `: ${reason}` : ""
      }; start a new one`,
      { status: 409 },
    ),
  notAwaitingConfirmation: () =>
    new SecurixError(
      "SX-SESSION-NOT-READY",
      "The auth session is not waiting for confirmation; the user has not finished consenting",
      { status: 409 },
    ),
  sxcMismatch: () =>
    new SecurixError(
      "SX-SXC-MISMATCH",
      "The sxc does not match the one committed for this session",
      {
        status: 403,
      },
    ),
  slowDown: (interval: number) =>
    new SecurixError("SX-SLOW-DOWN", `Polling too fast; wait ${interval} s between polls`, {
      status: 429,
      details: { interval },
    }),
};
