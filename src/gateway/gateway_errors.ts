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

/** What refused a credential release: an operator's rule or scope, or the user's portal choices. */
export type ReleaseRefusal =
  | {
    kind: "rule";
    rule: string;
    effect: string;
    conditional: boolean;
    source: "rules" | "portal";
    /** The rule names some agents: it refuses whatever securix-agent-id the release sent. */
    agentLimited?: boolean;
  }
  | { kind: "scope"; scope: string; source: "rules" | "portal" };

/** `details.reason` of a release the rules refuse: the token would step around them. */
const REASON = "release_bypasses_rule";

/**
 * Said of a rule limited to some agents, so that a developer does not look
 * for the fix in `securix-agent-id`: sending it, or another id, changes nothing.
 */
const AGENT_LIMITED =
  "a released token serves any agent, so this holds whatever securix-agent-id is sent";

/** What a rule does to calls, as the release refusal says it. */
function effectWords(effect: string, conditional: boolean, provider: string): string {
  if (conditional) return `refuses some ${provider} calls by what they send`;
  switch (effect) {
    case "deny":
      return `refuses some ${provider} calls`;
    case "approve":
      return `holds some ${provider} calls for approval`;
    case "hide":
      return `hides labels or folders from ${provider} calls`;
    case "redact":
      return `redacts ${provider} answers`;
    case "limit":
      return `rate-limits some ${provider} calls`;
    default:
      return `applies to ${provider} calls (${effect})`;
  }
}

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
  /**
   * A release the rules refuse: the proxied call's codes (SX-POLICY-DENIED,
   * SX-SCOPE-DISABLED), in words of its own. A rule's `llm_error` was written
   * for the calls it refuses, and the portal's choices are no rule of the
   * operator's file, so neither is what a refused release says.
   */
  releaseRefused: (provider: string, by: ReleaseRefusal) => {
    const what = by.kind === "scope"
      ? by.source === "portal"
        ? `the user switched off the scope "${by.scope}" in the Trust Portal`
        : `the scope "${by.scope}" is disabled`
      : by.source === "portal"
      ? `the user's Trust Portal choices hide labels or folders from ${provider} calls`
      : by.agentLimited
      ? `rule "${by.rule}", for the agents it names, ${
        effectWords(by.effect, by.conditional, provider)
      } (${AGENT_LIMITED})`
      : `rule "${by.rule}" ${effectWords(by.effect, by.conditional, provider)}`;
    // The portal's hidden labels and folders are no rule of the operator's file: no rule is named.
    const details = by.kind === "scope"
      ? { scope: by.scope, effect: "scope_disabled", reason: REASON, source: by.source }
      : by.source === "portal"
      ? { effect: by.effect, reason: REASON, source: by.source }
      : { rule: by.rule, effect: by.effect, reason: REASON, source: by.source };
    return new SecurixError(
      by.kind === "scope" ? "SX-SCOPE-DISABLED" : "SX-POLICY-DENIED",
      `Credential release refused: ${what}, and a released token would get around it`,
      {
        status: 403,
        llmError:
          `This ${provider} credential cannot leave the appliance: the security policy for this account applies to the calls made with it. Call the provider's API through the appliance's proxy instead (send securix-api-key, securix-agent-id and securix-connection-id or securix-entity-id); it adds the credential itself.`,
        details,
      },
    );
  },
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
