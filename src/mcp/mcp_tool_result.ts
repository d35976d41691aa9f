import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { SecurixError } from "../errors/securix_error.ts";
import type { ToolOutcome } from "./tools/tool.ts";

/** The most text one tool result carries; more is cut with a note saying so. */
export const MAX_RESULT_CHARS = 24_000;

export type ToolResult = CallToolResult;

function capped(text: string, max = MAX_RESULT_CHARS): string {
  if (text.length <= max) return text;
  return `${
    text.slice(0, max)
  }\n[truncated: the answer had ${text.length} characters and ${max} are shown; ask for fewer items or a narrower query]`;
}

/** A tool's answer as compact JSON (no indentation: tokens cost). */
export function resultOf(outcome: ToolOutcome): ToolResult {
  if (outcome.ok) {
    const text = typeof outcome.value === "string" ? outcome.value : JSON.stringify(outcome.value);
    return { content: [{ type: "text", text: capped(text ?? "null") }] };
  }
  const detail = typeof outcome.value === "string" ? outcome.value : JSON.stringify(outcome.value);
  return {
    isError: true,
    content: [{
      type: "text",
      text: capped(
        `The provider refused the call (HTTP ${outcome.status}): ${detail ?? ""}`,
        4_000,
      ),
    }],
  };
}

/** A typed refusal as the model sees it: its llmError, else its message, with the code. */
export function refusalResult(error: SecurixError): ToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: `${error.llmError ?? error.message} (${error.code})` }],
  };
}
