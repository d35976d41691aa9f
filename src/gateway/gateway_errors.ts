import type { DoorWording } from "../connections/connection_refusal.ts";
import { SecurixError } from "../errors/securix_error.ts";

/**
 * How the gateway words a connection it may not use, for an agent reading
 * its answer; code and status come from connectionRefusal, as the proxy's do.
 * Paused reads as at every door.
 */
export const GATEWAY_REFUSALS: DoorWording = {
  /** `details.status` says which status left the connection without a credential. */
  notConnected: (_provider, status) => ({
    message: `The connection is ${status}, so it has no credential to use`,
    llmError: status === "pending"
      ? "The user has not finished connecting. Ask them to complete the consent, or to connect again (POST /v1/request-connection)."
      : `The connection is ${status}. Ask the user to connect again (POST /v1/request-connection).`,
    details: { status },
  }),
  /** `details.error` keeps Nexus's `attention_required` for agents written against its guide. */
  needsReauth: (provider) => ({
    message:
      `${provider} no longer accepts this connection's refresh token; the user must connect again`,
    llmError:
      "The user's connection has expired for good. Ask them to connect again (POST /v1/request-connection).",
    details: { error: "attention_required" },
  }),
};

/** The gateway API's refusals, each with its stable code and a sentence an agent can relay. */
export const gatewayErrors = {
  /** Unknown, another app's, or revoked: the same answer, so ids of other apps are not probed. */
  connectionNotFound: () =>
    new SecurixError("SX-CONNECTION-NOT-FOUND", "No such connection", { status: 404 }),
  /**
   * A connection whose provider the operator no longer enables: the proxy has no route for it
   * (SX-UNKNOWN-PROVIDER 404), so nor does a release, whose rules would not know its family.
   */
  providerNotServed: (provider: string) =>
    new SecurixError(
      "SX-UNKNOWN-PROVIDER",
      `Provider "${provider}" is not enabled on this appliance, so its credential is not served`,
      {
        status: 404,
        llmError:
          `This appliance no longer serves "${provider}"; its connection cannot be used until the operator enables the provider again.`,
      },
    ),
  releaseDisabled: (appName: string) =>
    new SecurixError(
      "SX-RELEASE-DISABLED",
      `Credential release is off for app "${appName}"; an operator allows it with "securix apps update ${appName} --allow-credential-release"`,
      {
        status: 403,
        llmError:
          "This appliance does not hand out credentials. Call the provider's API through the appliance's proxy instead (send securix-api-key, securix-agent-id and securix-connection-id or securix-entity-id); it adds the credential itself.",
      },
    ),
  ambiguousProvider: (name: string, candidates: string[]) =>
    new SecurixError(
      "SX-PROVIDER-AMBIGUOUS",
      `"${name}" names several providers here (${candidates.join(", ")}); use one of those names`,
      { status: 400, details: { candidates } },
    ),
  linkNotFound: () =>
    new SecurixError("SX-LINK-INVALID", "This sign-in link does not exist", { status: 404 }),
  linkUsed: () =>
    new SecurixError(
      "SX-LINK-USED",
      "This sign-in link was already opened in another browser. Finish it there, or ask the app for a new link.",
      { status: 403 },
    ),
};
