import type { DoorWording } from "../connections/connection_refusal.ts";
import { tokenExpiredWords } from "../connections/credential_errors.ts";
import { SecurixError } from "../errors/securix_error.ts";

/**
 * 5xx answers that are a deliberate verdict, not a failure of ours to hide:
 * the provider's own failures and the audit backlog. Every other 5xx is
 * reported to the operator and answered as SX-UNAVAILABLE.
 */
export const ANSWERED_AS_IS = new Set([
  "SX-UPSTREAM-TIMEOUT",
  "SX-UPSTREAM-UNREACHABLE",
  "SX-AUDIT-BACKLOG",
  "SX-PROVIDER-UNAVAILABLE",
  "SX-UNINSPECTABLE",
  // A damaged or newer-format vault record: the app can only ask the user to reconnect.
  "SX-CREDENTIAL-UNREADABLE",
]);

/**
 * How the proxy (and MCP, which calls through it) words a connection it may
 * not use; code and status come from connectionRefusal. Paused reads as at
 * every door.
 */
export const PROXY_REFUSALS: DoorWording = {
  notConnected: (provider) => ({
    message: `The entity has no active ${provider} connection`,
    llmError:
      `The user has not connected ${provider} yet. Ask them to connect it: the app starts a consent (popup, or a device code they enter at the appliance's /device page).`,
  }),
  // The provider refused its refresh token: retrying would only repeat that.
  needsReauth: (provider) => tokenExpiredWords(provider, "the user must reconnect"),
};

/** The proxy's refusals, each with its stable code and a sentence an agent can relay. */
export const proxyErrors = {
  unknownHost: (host: string) =>
    new SecurixError("SX-UNKNOWN-PROVIDER", `No provider is served at ${host}`, {
      status: 404,
      llmError: `This appliance does not proxy "${host}"; check the provider name in the URL.`,
    }),
  missingKey: () =>
    new SecurixError("SX-API-KEY-MISSING", "Send the app's API key in the securix-api-key header", {
      status: 401,
      llmError: "The request was not authenticated; the app must send its Securix API key.",
    }),
  badKey: () =>
    new SecurixError("SX-API-KEY-INVALID", "The API key is unknown or revoked", {
      status: 401,
      llmError: "The app's Securix API key is not valid; the app's operator must issue a new one.",
    }),
  /** A header value outside the identifier rules; `problem` never repeats the value. */
  invalidHeader: (name: string, problem: string) =>
    new SecurixError("SX-INVALID-INPUT", `${name}: ${problem}`, { status: 400 }),
  missingHeader: (name: string) =>
    new SecurixError("SX-MISSING-HEADER", `The ${name} header is required`, { status: 400 }),
  /**
   * No `securix-agent-id`: the one refusal a developer fixes by sending a header
   * (a Nexus-style client has never heard of it), so it says which and what goes in it.
   */
  missingAgentId: () =>
    new SecurixError(
      "SX-MISSING-HEADER",
      "Send the securix-agent-id header: every proxied call names the agent making it, one the app registered (securix agents add APP AGENT_ID, or POST /v1/agents)",
      {
        status: 400,
        llmError:
          "The request did not say which agent is calling. Send the securix-agent-id header with your agent id (the app's operator registers it), alongside securix-api-key and securix-entity-id or securix-connection-id, and try again.",
        details: { header: "securix-agent-id" },
      },
    ),
  unknownAgent: (agentId: string) =>
    new SecurixError("SX-AGENT-UNKNOWN", `Agent "${agentId}" is not registered for this app`, {
      status: 403,
      llmError:
        `This agent (${agentId}) is not allowed to act for the app; the app's operator must register it.`,
    }),
  /** `securix-connection-id` names no connection of this app. */
  unknownConnection: () =>
    new SecurixError("SX-CONNECTION-NOT-FOUND", "No such connection for this app", {
      status: 404,
      llmError:
        "The connection id is not one of this app's connections; use the connection_id the app got from request-connection.",
    }),
  /** `securix-connection-id` is a connection to another provider than the request is routed to. */
  connectionProviderMismatch: (owner: string, routed: string) =>
    new SecurixError(
      "SX-CONNECTION-PROVIDER-MISMATCH",
      `The connection is a ${owner} connection; this request is routed to ${routed}`,
      {
        status: 400,
        llmError:
          `That connection id belongs to ${owner}; call ${owner}'s API with it, or use a ${routed} connection id.`,
        details: { connectionProvider: owner, routedProvider: routed },
      },
    ),
  badHost: () =>
    new SecurixError("SX-BAD-HOST", "Request refused: the Host header is not a valid host[:port]", {
      status: 400,
    }),
  badTarget: (detail: string) =>
    new SecurixError("SX-BAD-REQUEST-TARGET", `Request refused: ${detail}`, { status: 400 }),
  headersTooLarge: () =>
    new SecurixError("SX-HEADERS-TOO-LARGE", "Request headers are too large", { status: 431 }),
  bodyTooLarge: (limit: number) =>
    new SecurixError("SX-BODY-TOO-LARGE", `Request body is larger than ${limit} bytes`, {
      status: 413,
    }),
  /**
   * A check must read the request body (a form's method field, a GraphQL
   * document, a batch's calls, a send's text, an approval's hash) but it is
   * compressed: the provider may inflate it into something never checked.
   * The code the rules give an answer they cannot inspect, as the caller's fault.
   */
  compressedBody: (sent: string) =>
    new SecurixError(
      "SX-UNINSPECTABLE",
      `The request body could not be inspected: compressed (${
        shownCoding(sent)
      }); send it uncompressed`,
      {
        status: 415,
        llmError:
          "The request body was compressed, so the security policy could not check it. Send the same request without Content-Encoding.",
        details: { reason: "compressed request body" },
      },
    ),
  upstreamTimeout: (provider: string, ms: number) =>
    new SecurixError("SX-UPSTREAM-TIMEOUT", `${provider} did not answer within ${ms} ms`, {
      status: 504,
      llmError: `${provider} is not responding right now; try again in a little while.`,
    }),
  upstreamUnreachable: (provider: string) =>
    new SecurixError("SX-UPSTREAM-UNREACHABLE", `${provider} could not be reached`, {
      status: 502,
      llmError: `${provider} cannot be reached right now; try again in a little while.`,
    }),
  /**
   * A provider whose key rides in the query answered compressed although it
   * was asked for identity: it cannot be searched for the key it may echo,
   * so it is withheld (the code strict redaction refuses with).
   */
  answerCompressed: (provider: string, sent: string) => {
    const coding = shownCoding(sent);
    return new SecurixError(
      "SX-UNINSPECTABLE",
      `The response could not be inspected: compressed (${coding})`,
      {
        status: 502,
        llmError:
          `${provider} sent a compressed answer that could not be checked for its credential, so it was withheld; try again in a little while.`,
        details: { reason: `compressed (${coding})` },
      },
    );
  },
  /** Audit records cannot be written: no access goes unrecorded, so none is given. */
  auditBacklog: () =>
    new SecurixError(
      "SX-AUDIT-BACKLOG",
      "The appliance cannot write its audit trail right now, so it serves no proxied request",
      {
        status: 503,
        llmError: "The access broker is briefly unavailable; try again in a little while.",
      },
    ),
  /** Our side failed (database busy, vault unreadable): not the provider's fault. */
  unavailable: () =>
    new SecurixError("SX-UNAVAILABLE", "The appliance could not serve this request right now", {
      status: 503,
      llmError: "The access broker is briefly unavailable; try again in a little while.",
    }),
};

/**
 * A Content-Encoding as an error may repeat it: a caller's or a provider's own field, so only a
 * token-shaped coding (or list of them) is shown, never arbitrary text (it reaches logs and the
 * audit trail).
 */
function shownCoding(sent: string): string {
  const coding = sent.trim();
  return /^[a-z0-9._-]{1,32}(\s*,\s*[a-z0-9._-]{1,32}){0,3}$/i.test(coding) ? coding : "unknown";
}

/**
 * A key bound to one agent sent another agent's id: 403 SX-AGENT-MISMATCH.
 * It carries the key's app and agent so the refusal's audit record names the
 * agent that holds the key, and the id it claimed; neither is a secret to the
 * key's holder.
 */
export class AgentMismatch extends SecurixError {
  readonly appId: string;
  readonly boundAgentId: string;
  readonly sentAgentId: string;

  constructor(appId: string, boundAgentId: string, sentAgentId: string) {
    super(
      "SX-AGENT-MISMATCH",
      `This API key is bound to agent "${boundAgentId}": securix-agent-id may only name that agent or be left out, not "${sentAgentId}"`,
      {
        status: 403,
        llmError:
          `The API key you hold acts for agent ${boundAgentId} only. Send that id in securix-agent-id, or leave the header out; you cannot act as another agent.`,
        details: { agentId: boundAgentId, sentAgentId },
      },
    );
    this.appId = appId;
    this.boundAgentId = boundAgentId;
    this.sentAgentId = sentAgentId;
  }
}

/**
 * A bound key sent another agent's id in a bad shape: 400 SX-INVALID-INPUT, as
 * any malformed header, yet the key is known, so the refusal's audit record
 * names the key's app and agent (never the malformed id).
 */
export class MalformedForeignAgentId extends SecurixError {
  readonly appId: string;
  readonly boundAgentId: string;

  constructor(appId: string, boundAgentId: string, problem: string) {
    super("SX-INVALID-INPUT", `securix-agent-id: ${problem}`, { status: 400 });
    this.appId = appId;
    this.boundAgentId = boundAgentId;
  }
}
