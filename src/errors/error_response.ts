import type { SecurixError } from "./securix_error.ts";
import { REQUEST_ID_HEADER } from "../identifiers/request_id.ts";

export interface ErrorBody {
  error: {
    code: string;
    type?: string;
    message: string;
    llmError?: string;
    details?: Record<string, unknown>;
    /** The `securix-request-id` of the answer, for the operator's logs and audit log. */
    requestId?: string;
  };
}

/**
 * Envelopes of errors answered many times over (a rule's refusal is one
 * error, made once): serialised once, without the closing braces, so each
 * answer only appends its own request id.
 */
const serialised = new WeakMap<SecurixError, string>();

function envelope(error: SecurixError, requestId: string | undefined): string {
  const open = openEnvelope(error);
  // A request id is `req_` and base32 digits (request_id.ts): nothing in it needs escaping.
  return requestId === undefined ? `${open}}}` : `${open},"requestId":"${requestId}"}}`;
}

function openEnvelope(error: SecurixError): string {
  let text = serialised.get(error);
  if (text === undefined) {
    const body: ErrorBody = error.type === null
      ? { error: { code: error.code, message: error.message } }
      : { error: { code: error.code, type: error.type, message: error.message } };
    if (error.llmError) body.error.llmError = error.llmError;
    if (error.details) body.error.details = error.details;
    text = JSON.stringify(body).slice(0, -2);
    serialised.set(error, text);
  }
  return text;
}

/**
 * The error envelope every failure is answered with; with the request's id
 * (in the body and `securix-request-id`) wherever one was handed out.
 */
export function errorResponse(
  error: SecurixError,
  headers?: HeadersInit,
  requestId?: string,
): Response {
  const retryAfter = error.details?.retryAfter ?? error.details?.interval;
  const retry = error.status === 429 && typeof retryAfter === "number";
  // Header pairs, not a Headers object, when there is nothing to merge: half the cost.
  const own = error.headers;
  const init: HeadersInit = headers === undefined && !retry && own === null
    ? (requestId === undefined ? PLAIN : [...PLAIN, [REQUEST_ID_HEADER, requestId]])
    : (() => {
      const h = new Headers(headers);
      for (const [name, value] of PLAIN) h.set(name, value);
      if (own) { for (const [name, value] of own) h.set(name, value); }
      if (retry) h.set("retry-after", String(retryAfter));
      if (requestId !== undefined) h.set(REQUEST_ID_HEADER, requestId);
      return h;
    })();
  return new Response(envelope(error, requestId), { status: error.status, headers: init });
}

// `nosniff` also on the proxy's answers, which go out before the pages' security headers run.
const PLAIN: [string, string][] = [
  ["content-type", "application/json; charset=utf-8"],
  ["x-content-type-options", "nosniff"],
];
