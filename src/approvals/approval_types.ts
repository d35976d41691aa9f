/**
 * `expired` is never stored: a pending or approved row past `expiresAt` is
 * expired, whoever looks (so no sweeper has to run before a retry is refused).
 */
export type ApprovalStatus = "pending" | "approved" | "denied" | "expired" | "used";

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  "pending",
  "approved",
  "denied",
  "expired",
  "used",
];

/** What a person is asked to approve: enough to decide, never a token or the full body. */
export interface ApprovalSummary {
  /** One sentence, e.g. `Send an email to bob@acme.com: "Planning"`. */
  text: string;
  operation: string;
  method: string;
  /** Without the query. */
  path: string;
  /** An email send's To, Cc and Bcc (at most MAX_RECIPIENTS), when they could be read. */
  recipients?: string[];
  /** How many recipients there were, when more than those listed. */
  recipientCount?: number;
  subject?: string | null;
  /** A delete's resource id (last path segment). */
  resource?: string;
}

/** The held call, as the approval filter saw it. */
export interface HeldCall {
  appId: string;
  agentId: string;
  entityId: string;
  connectionId: string;
  provider: string;
  operation: string;
  rule: string;
  method: string;
  path: string;
  requestHash: string;
  summary: ApprovalSummary;
}

/** A held call and what became of it. */
export interface Approval extends HeldCall {
  id: string;
  status: ApprovalStatus;
  createdAt: number;
  expiresAt: number;
  decidedBy: string | null;
  decidedAt: number | null;
  usedAt: number | null;
}

/** Who decides: the signed link, an app's API key (`api:<keyId>`), the CLI operator, later a console user. */
export type Decider = string;

export type Decision = "approve" | "deny";
