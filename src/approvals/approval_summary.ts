import type { Operation } from "../providers/operation.ts";
import { draftSendLookup } from "../rules/send/gmail_send.ts";
import { outgoingSend } from "../rules/send/outgoing_send.ts";
import { outgoingSubject } from "../rules/send/outgoing_subject.ts";
import type { ApprovalSummary } from "./approval_types.ts";

const MAX_RECIPIENTS = 20;
const MAX_TEXT = 200;

/** Email sends whose recipients and subject a person is shown. */
const EMAIL_SENDS = new Set(["gmail.users.messages.send", "gmail.users.drafts.send"]);
const GRAPH_SEND_MAIL = /^\/(?:v1\.0|beta)\/(?:me|users\/[^/]+)\/sendmail\/?$/i;

/** Printable, single-line, bounded: a summary is shown in pages, terminals and webhooks. */
function clean(text: string, max = MAX_TEXT): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function lastSegment(path: string): string | null {
  const segment = path.replace(/\/+$/, "").split("/").at(-1);
  if (!segment) return null;
  try {
    return clean(decodeURIComponent(segment), 120);
  } catch {
    return clean(segment, 120);
  }
}

/**
 * What a person sees before approving a call: for an email send its
 * recipients and subject, for a delete the resource id, otherwise the
 * operation, method and path (never the query's values). Never a token or
 * the body itself.
 */
export function summarizeCall(
  operation: Operation,
  method: string,
  path: string,
  contentType: string | null,
  body: Uint8Array | null,
): ApprovalSummary {
  const base = { operation: operation.id, method: method.toUpperCase(), path: clean(path, 300) };
  const isEmail = EMAIL_SENDS.has(operation.id) ||
    (operation.id.startsWith("microsoft.") && GRAPH_SEND_MAIL.test(path));
  if (isEmail) {
    const send = outgoingSend(operation.id, path, contentType, body);
    if (operation.id === "gmail.users.drafts.send") {
      const draft = lastSegment((draftSendLookup(path, body) ?? "").replace(/\?.*$/, ""));
      return {
        ...base,
        text: draft ? `Send the saved Gmail draft ${draft}` : "Send a saved Gmail draft",
        recipients: [],
        subject: null,
        ...(draft ? { resource: draft } : {}),
      };
    }
    const all = (send?.recipients ?? []).map((r) => clean(r, 254));
    const recipients = all.slice(0, MAX_RECIPIENTS);
    const rawSubject = outgoingSubject(operation.id, path, contentType, body);
    const subject = rawSubject ? clean(rawSubject) : null;
    const to = send?.recipients === null || send === null
      ? "recipients that could not be read"
      : recipients.join(", ") +
        (all.length > recipients.length ? ` and ${all.length - recipients.length} more` : "");
    return {
      ...base,
      text: `Send an email to ${to}${subject ? `: "${subject}"` : " (no subject)"}`,
      recipients,
      ...(all.length > recipients.length ? { recipientCount: all.length } : {}),
      subject,
    };
  }
  if (operation.class === "delete" || base.method === "DELETE") {
    const resource = lastSegment(path);
    if (resource) return { ...base, text: `Delete ${resource} (${operation.id})`, resource };
  }
  return { ...base, text: `${operation.id}: ${base.method} ${base.path}` };
}

/**
 * The part of a summary the audit trail keeps: who an email went to and
 * which item a delete named, not the subject or the sentence (message
 * content stays out of the trail, as for every proxied call).
 */
export function summaryForAudit(summary: ApprovalSummary): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  if (summary.recipients !== undefined) kept.recipients = summary.recipients;
  if (summary.recipientCount !== undefined) kept.recipientCount = summary.recipientCount;
  if (summary.resource !== undefined) kept.resource = summary.resource;
  return kept;
}
