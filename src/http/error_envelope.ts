import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { SecurixError } from "../errors/securix_error.ts";
import { errorResponse } from "../errors/error_response.ts";
import { logSafeError } from "../errors/log_safe.ts";
import { requestIdOf } from "./request_id_header.ts";

export { errorResponse };

/**
 * The one place errors become HTTP responses. Anything that is not a
 * SecurixError is logged server-side and answered with a generic 500: no
 * stack, message or cause of an unexpected error reaches a client.
 *
 * Hono's own refusals (HTTPException) get a named code only for the statuses
 * this app can meet: 413 from a body limit. Nothing else here throws one (no
 * mount, validator or auth middleware), so any other status is a surprise and
 * is treated as one, rather than answered with a code built from the status
 * that README and its test could not name.
 */
export function toSecurixError(error: unknown): SecurixError {
  if (error instanceof SecurixError) return error;
  if (error instanceof HTTPException && error.status === 413) {
    return new SecurixError("SX-BODY-TOO-LARGE", "Request body is too large", { status: 413 });
  }
  return new SecurixError(
    "SX-INTERNAL",
    "Internal error; the operator can find details in the appliance log",
    {
      status: 500,
      cause: error,
    },
  );
}

export function onError(log: (line: string) => void) {
  return function handleError(error: Error, c: Context): Response {
    const sx = toSecurixError(error);
    const requestId = requestIdOf(c);
    if (sx.status >= 500) {
      // The id the client was given, so the operator can find this line from it.
      const id = requestId === undefined ? "" : ` ${requestId}`;
      log(`error${id} ${c.req.method} ${new URL(c.req.url).pathname}: ${logSafeError(error)}`);
    }
    return errorResponse(sx, undefined, requestId);
  };
}

export function notFound(c: Context): Response {
  return errorResponse(
    new SecurixError(
      "SX-NOT-FOUND",
      `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
      {
        status: 404,
      },
    ),
    undefined,
    requestIdOf(c),
  );
}
