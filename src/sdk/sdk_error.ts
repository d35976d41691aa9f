/**
 * What the server SDK throws when the appliance answers with its error
 * envelope (`{"error":{"code":"SX-…","message":"…","llmError"?:"…"}}`) or
 * cannot be reached. `code` is the appliance's stable code; network failures
 * and unreadable answers get `SX-APPLIANCE-UNREACHABLE` / `SX-BAD-RESPONSE`
 * with `status` 0 / the HTTP status.
 */
export class SecurixApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly llmError: string | null;
  readonly details: Record<string, unknown> | null;

  constructor(
    code: string,
    message: string,
    options: {
      status: number;
      llmError?: string | null;
      details?: Record<string, unknown> | null;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = "SecurixApiError";
    this.code = code;
    this.status = options.status;
    this.llmError = options.llmError ?? null;
    this.details = options.details ?? null;
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
      llmError: typeof error.llmError === "string" ? error.llmError : null,
      details: isRecord(error.details) ? error.details : null,
    });
  }
  return new SecurixApiError(
    "SX-BAD-RESPONSE",
    `Appliance answered ${res.status} without an error envelope`,
    { status: res.status },
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
