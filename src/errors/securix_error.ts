/**
 * The one error shape every domain throws. `code` is stable and documented
 * (SX-…); `status` is the HTTP status the edge answers with; `llmError` is a
 * sentence an agent can relay to its user. The cause is kept for logs only and
 * never serialised.
 */
export class SecurixError extends Error {
  readonly code: string;
  readonly status: number;
  readonly llmError: string | null;
  readonly details: Record<string, unknown> | null;
  /** Response headers that belong to this refusal (rate-limit headers), added by `errorResponse`. */
  readonly headers: readonly [string, string][] | null;
  /** A finer kind within the code, in the envelope as `type` (SX-403: `anomaly_detected`). */
  readonly type: string | null;

  constructor(
    code: string,
    message: string,
    options: {
      status?: number;
      llmError?: string;
      details?: Record<string, unknown>;
      headers?: readonly [string, string][];
      type?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "SecurixError";
    this.code = code;
    this.status = options.status ?? 500;
    this.llmError = options.llmError ?? null;
    this.details = options.details ?? null;
    this.headers = options.headers ?? null;
    this.type = options.type ?? null;
  }
}
