import { SecurixError } from "../errors/securix_error.ts";

/**
 * Too many failed API key checks from this client address: 429 with
 * Retry-After (from `details.retryAfter`), the same on the proxy and the API.
 */
export function lockedOut(retryAfterS: number): SecurixError {
  return new SecurixError(
    "SX-AUTH-LOCKOUT",
    `Too many failed API key checks from this address; try again in ${retryAfterS} s`,
    {
      status: 429,
      llmError:
        "The access broker refused this client for a while after repeated invalid API keys; try again later.",
      details: { retryAfter: retryAfterS },
    },
  );
}
