import { DrizzleQueryError } from "drizzle-orm";
import { SecurixError } from "./securix_error.ts";

/** Long runs of token characters: access/refresh tokens, API keys, digests, ciphertext. */
const SECRET_LIKE = /[A-Za-z0-9._~+/=-]{24,}/g;

/**
 * One log line for an error that must not carry a secret. Unexpected errors
 * quote what they were given: Deno's "Invalid header value" repeats a bearer
 * token, a failed query lists its bound values. The database's own reason is
 * kept (it names no values); anything token-shaped is redacted.
 */
export function logSafeError(error: unknown): string {
  if (error instanceof SecurixError) return `${error.code}: ${redact(error.message)}`;
  if (!(error instanceof Error)) return "non-Error thrown";
  // drizzle's DrizzleQueryError keeps the name "Error": known by class, or by its message where
  // it was re-created from a message (another thread's answer).
  if (error instanceof DrizzleQueryError || error.message.startsWith("Failed query:")) {
    const cause = error.cause as { message?: unknown } | undefined;
    return `database: ${
      typeof cause?.message === "string" ? redact(cause.message).slice(0, 300) : "a query failed"
    }`;
  }
  return `${error.name}: ${redact(error.message).slice(0, 300)}`;
}

function redact(text: string): string {
  return text.replace(SECRET_LIKE, "[redacted]");
}
