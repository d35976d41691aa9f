/**
 * What the server SDK throws when the appliance answers with its error
 * envelope (`{"error":{"code":"SX-…","message":"…","llmError"?:"…"}}`) or
 * cannot be reached. `code` is the appliance's stable code; network failures
 * and unreadable answers get `SX-APPLIANCE-UNREACHABLE` / `SX-BAD-RESPONSE`
 * with `status` 0 / the HTTP status. `requestId` is the appliance's id of
 * the failed call (`securix-request-id`): quote it to the operator, who finds
 * the log line and audit record by it.
 */
export class SecurixApiError extends Error {
  readonly code: string;
  /** A finer kind within the code, when the appliance names one (`SX-403`: `anomaly_detected`). */
  readonly type: string | null;
  readonly status: number;
  readonly llmError: string | null;
  readonly details: Record<string, unknown> | null;
  /** Null when no answer came, or one without an id (not from the appliance itself). */
  readonly requestId: string | null;

  constructor(
    code: string,
    message: string,
    options: {
      status: number;
      type?: string | null;
      llmError?: string | null;
      details?: Record<string, unknown> | null;
      requestId?: string | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = "SecurixApiError";
    this.code = code;
    this.type = options.type ?? null;
    this.status = options.status;
    this.llmError = options.llmError ?? null;
    this.details = options.details ?? null;
    this.requestId = options.requestId ?? null;
  }
}

/** Reads an error envelope from a failed response; never throws. */
export async function apiErrorFromResponse(res: Response): Promise<SecurixApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: reported below as SX-BAD-RESPONSE.
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return new SecurixApiError(error.code, error.message, {
      status: res.status,
      type: typeof error.type === "string" ? error.type : null,
      llmError: typeof error.llmError === "string" ? error.llmError : null,
      details: isRecord(error.details) ? error.details : null,
      requestId: typeof error.requestId === "string" ? error.requestId : answerRequestId(res),
    });
  }
  return new SecurixApiError(
    "SX-BAD-RESPONSE",
    `Appliance answered ${res.status} without an error envelope`,
    { status: res.status, requestId: answerRequestId(res) },
  );
}

/** The id the appliance gave this answer; null from anything else on the way (a proxy's 502). */
export function answerRequestId(res: Response): string | null {
  return res.headers.get("securix-request-id");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
