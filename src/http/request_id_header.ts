import type { Context, MiddlewareHandler } from "hono";
import { REQUEST_ID_HEADER, type RequestIds } from "../identifiers/request_id.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** This request's `securix-request-id`, for the error envelope and log lines. */
    requestId: string;
  }
}

/**
 * Gives every request an id and every answer its `securix-request-id`,
 * errors and pages alike. First in the chain, so a refusal of a later
 * middleware (a body too large) carries it too.
 */
export function requestIdHeader(ids: RequestIds): MiddlewareHandler {
  return async function setRequestId(c, next) {
    const id = ids();
    c.set("requestId", id);
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}

/** The request's id, when the middleware above ran (an app built without it has none). */
export function requestIdOf(c: Context): string | undefined {
  return c.get("requestId");
}
