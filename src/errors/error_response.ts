import type { SecurixError } from "./securix_error.ts";

export interface ErrorBody {
  error: { code: string; message: string; llmError?: string; details?: Record<string, unknown> };
}

/** The error envelope every failure is answered with. */
export function errorResponse(error: SecurixError, headers?: HeadersInit): Response {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.llmError) body.error.llmError = error.llmError;
  if (error.details) body.error.details = error.details;
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  // Also sent by the proxy, which answers before the pages' security headers run.
  h.set("x-content-type-options", "nosniff");
  const retryAfter = error.details?.retryAfter ?? error.details?.interval;
  if (error.status === 429 && typeof retryAfter === "number") {
    h.set("retry-after", String(retryAfter));
  }
  return new Response(JSON.stringify(body), { status: error.status, headers: h });
}
