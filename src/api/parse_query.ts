import type { Context } from "hono";
import type { z } from "zod";
import { SecurixError } from "../errors/securix_error.ts";

/** Reads the query string through a zod schema; any problem is a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue.path.length > 0 ? issue.path.join(".") : "query";
    throw new SecurixError("SX-INVALID-INPUT", `${name}: ${issue.message}`, { status: 400 });
  }
  return result.data;
}
