import { SecurixError } from "../errors/securix_error.ts";

/** Refusals of the MCP endpoint and of MCP URL management. */
export const mcpErrors = {
  /** Missing, malformed, forged, tampered or unknown: one answer, so nothing is learnt by probing. */
  grantInvalid: () =>
    new SecurixError("SX-MCP-GRANT-INVALID", "The MCP URL is not valid", {
      status: 401,
      llmError:
        "This MCP URL is not valid. Ask the app that gave it to you for a new one (Securix.mcp.getUrl).",
    }),
  grantExpired: () =>
    new SecurixError("SX-MCP-GRANT-EXPIRED", "The MCP URL has expired", {
      status: 401,
      llmError: "This MCP URL has expired. Ask the app that gave it to you for a new one.",
    }),
  grantRevoked: () =>
    new SecurixError("SX-MCP-GRANT-REVOKED", "The MCP URL was revoked", {
      status: 401,
      llmError: "This MCP URL was revoked; the user or the app's operator withdrew this access.",
    }),
  grantNotFound: (id: string) =>
    new SecurixError("SX-MCP-GRANT-NOT-FOUND", `No MCP URL "${id}" for this app`, {
      status: 404,
    }),
  ttlTooLong: (maxS: number) =>
    new SecurixError("SX-INVALID-INPUT", `ttlSeconds: at most ${maxS} (30 days)`, {
      status: 400,
    }),
  unknownTool: (name: string) =>
    new SecurixError("SX-MCP-UNKNOWN-TOOL", `No tool "${name}" for this MCP URL`, {
      status: 404,
      llmError: `There is no tool named ${name}. List the tools again to see what is available.`,
    }),
  badArguments: (tool: string, why: string) =>
    new SecurixError("SX-INVALID-INPUT", `${tool}: ${why}`, {
      status: 400,
      llmError: `The arguments for ${tool} are not valid: ${why}. Fix them and call it again.`,
    }),
} as const;
