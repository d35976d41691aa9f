import { z } from "zod";
import { type CuratedTool, outcomeOf } from "./tool.ts";

const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const genericInput = z.strictObject({
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).describe("The HTTP method."),
  path: z.string().min(1).max(2048).regex(/^\/[^?#\s]*$/, {
    message: "expected a path starting with / (no query: use the query argument)",
  }).describe("The API path, as in the provider's API reference (e.g. /repos/octo/hello/pulls)."),
  query: z.record(z.string().min(1).max(200), z.union([scalar, z.array(scalar).max(50)]))
    .optional().describe("Query parameters (a list repeats the name)."),
  body: z.unknown().optional().describe("The JSON body, for POST, PUT and PATCH."),
});

/**
 * `<provider>_request`: any call of the provider's API, for what the curated
 * tools do not cover. It is a proxied call like any other (the operation map
 * names it, the rules judge it).
 */
export function genericRequestTool(
  provider: string,
  displayName: string,
  apiBase: string,
): CuratedTool {
  return {
    name: `${provider}_request`,
    provider,
    description:
      `Calls the ${displayName} API directly (base ${apiBase}) for anything the other ${provider}_ tools do not cover. Returns the HTTP status and the JSON answer (large answers are cut).`,
    input: genericInput,
    probe: { method: "GET", path: "/" },
    async run(args: z.output<typeof genericInput>, call) {
      const query: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(args.query ?? {})) {
        query[name] = Array.isArray(value) ? value.map(String) : String(value);
      }
      const answer = await call({
        method: args.method,
        path: args.path,
        query,
        ...(args.body !== undefined && args.method !== "GET" ? { body: args.body } : {}),
      });
      return outcomeOf(answer, (json) => ({ status: answer.status, body: json }));
    },
  };
}
