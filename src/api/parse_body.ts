import type { Context } from "hono";
import type { z } from "zod";
import { SecurixError } from "../errors/securix_error.ts";

/** Reads a JSON body through a zod schema; any problem is a 400 naming the field. */
export async function parseJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new SecurixError("SX-INVALID-JSON", "The request body is not valid JSON", {
      status: 400,
    });
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new SecurixError("SX-INVALID-INPUT", `${path}: ${issue.message}`, { status: 400 });
  }
  return result.data;
}
