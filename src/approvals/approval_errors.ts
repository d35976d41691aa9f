import { SecurixError } from "../errors/securix_error.ts";
import type { Approval, ApprovalSummary } from "./approval_types.ts";

/** What the agent tells its user it is waiting for: "sending this email". */
function actionPhrase(summary: ApprovalSummary): string {
  if (summary.recipients !== undefined || summary.subject !== undefined) {
    return "sending this email";
  }
  if (summary.resource !== undefined) return `deleting ${summary.resource}`;
  return `this action (${summary.operation})`;
}

const RETRY = "Retry the same call, unchanged, with the header securix-approval-id:";

/**
 * How the caller comes back to a held call: a proxied request names its
 * approval in `securix-approval-id`; an MCP tool call cannot send a header,
 * so the model calls the tool again with the same arguments.
 */
export type ApprovalDoor = "header" | "tool";

const RETRY_TOOL = "call this tool again with exactly the same arguments";

/**
 * The refusals of held calls and of retries, each with a stable code. A
 * proxied call is answered 403 (404 for an id the caller cannot see); a
 * decision on an approval that can no longer be decided is a 409.
 */
export const approvalErrors = {
  required: (a: Approval, llmError: string | null, door: ApprovalDoor = "header") =>
    new SecurixError(
      "SX-APPROVAL-REQUIRED",
      `This call needs a person's approval (rule "${a.rule}")`,
      {
        status: 403,
        llmError: llmError ??
          `I asked ${a.entityId} to approve ${
            actionPhrase(a.summary)
          }; I'll retry once they approve. ${
            door === "tool"
              ? `Once they have, ${RETRY_TOOL}: it then goes through, once.`
              : `${RETRY} ${a.id}.`
          }`,
        details: { approvalId: a.id, expiresAt: new Date(a.expiresAt).toISOString(), rule: a.rule },
      },
    ),
  pending: (a: Approval, door: ApprovalDoor = "header") =>
    new SecurixError("SX-APPROVAL-PENDING", "The approval has not been decided yet", {
      status: 403,
      llmError: door === "tool"
        ? `${a.entityId} has not approved this yet. Wait, then ${RETRY_TOOL}.`
        : `${a.entityId} has not approved this yet. Wait, then retry with securix-approval-id: ${a.id}.`,
      details: { approvalId: a.id, expiresAt: new Date(a.expiresAt).toISOString() },
    }),
  denied: (a: Approval) =>
    new SecurixError("SX-APPROVAL-DENIED", "The approval was denied", {
      status: 403,
      llmError: `${a.entityId} denied this action. Do not retry it.`,
      details: { approvalId: a.id },
    }),
  expired: (a: Approval) =>
    new SecurixError("SX-APPROVAL-EXPIRED", "The approval expired", {
      status: 403,
      llmError:
        "The approval for this action expired. Retry without securix-approval-id to ask again.",
      details: { approvalId: a.id },
    }),
  used: (a: Approval) =>
    new SecurixError("SX-APPROVAL-USED", "The approval was already used", {
      status: 403,
      llmError:
        "This approval was already used for one call. Retry without securix-approval-id to ask again.",
      details: { approvalId: a.id },
    }),
  mismatch: (a: Approval, reason: string) =>
    new SecurixError("SX-APPROVAL-MISMATCH", `The call is not the one approved (${reason})`, {
      status: 403,
      llmError:
        "This call differs from the one that was approved. Send exactly the approved call, or retry without securix-approval-id to ask again.",
      details: { approvalId: a.id, reason },
    }),
  notFound: () =>
    new SecurixError("SX-APPROVAL-NOT-FOUND", "No such approval", {
      status: 404,
      llmError: "That approval id is unknown. Retry without securix-approval-id to ask again.",
    }),
  tooLarge: (limit: number, rule: string) =>
    new SecurixError(
      "SX-APPROVAL-TOO-LARGE",
      `The request body is larger than ${limit} bytes and cannot be held for approval`,
      {
        status: 413,
        llmError:
          "This call is too large to be shown to a person for approval, so it is blocked. Send a smaller request.",
        details: { rule, limit },
      },
    ),
  /** The caller went away while its request was held (`wait`); nobody reads this answer. */
  cancelled: (a: Approval) =>
    new SecurixError("SX-APPROVAL-CANCELLED", "The caller went away while waiting", {
      status: 499,
      details: { approvalId: a.id },
    }),
  /**
   * `POST /v1/approvals/{id}` for an app whose key may not decide: the agent whose
   * call is held sends that key too, so by default a person decides elsewhere.
   */
  apiDisabled: (appName: string) =>
    new SecurixError(
      "SX-APPROVAL-API-DISABLED",
      `App "${appName}" may not decide approvals with its API key: the agent whose call is held ` +
        "holds that key too. Decide through the signed link in the approval.requested webhook, " +
        "the admin console, the Trust Portal or `securix approvals approve|deny ID`; or have an " +
        `operator run \`securix apps update ${appName} --allow-api-approvals\` (or use the ` +
        "console's app page) if this key is kept away from agents",
      {
        status: 403,
        llmError:
          "You cannot decide approvals. Wait for a person to approve or deny the call, then retry with securix-approval-id.",
      },
    ),
  /** The agent whose call is held tried to decide it (same `securix-agent-id`). */
  self: (a: Approval) =>
    new SecurixError(
      "SX-APPROVAL-SELF",
      "The agent that made the held call cannot decide its approval; a person must decide it",
      {
        status: 403,
        llmError:
          "You cannot approve your own call. Wait for a person to decide, then retry with securix-approval-id.",
        details: { approvalId: a.id },
      },
    ),
  /** A decision on an approval that was already decided, used or expired. */
  closed: (a: Approval) =>
    new SecurixError("SX-APPROVAL-CLOSED", `The approval is already ${a.status}`, {
      status: 409,
      details: { approvalId: a.id, status: a.status },
    }),
};
