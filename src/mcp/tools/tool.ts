import { z } from "zod";
import { mcpErrors } from "../mcp_errors.ts";

/** One provider call a tool makes, relative to the provider's API base. */
export interface ToolRequest {
  method: string;
  /** Path with its segments already percent-encoded. */
  path: string;
  /** Query parameters; repeated names as arrays. */
  query?: Record<string, string | string[]>;
  /** Sent as JSON. */
  body?: unknown;
}

/** What a tool answers: its calls run through the proxy pipeline, one by one. */
export type ProviderCall = (request: ToolRequest) => Promise<CallAnswer>;

/** The provider's answer to one call, its body read (bounded) and parsed when JSON. */
export interface CallAnswer {
  status: number;
  json: unknown;
  /** The body as text when it was not JSON (or was cut at the read limit). */
  text: string | null;
}

/**
 * A curated tool: a provider operation with inputs a model can fill in, and
 * an answer trimmed to what a model needs. `probe` is a call of the tool's
 * main operation: the rules in force for it decide whether the tool is listed.
 */
export interface CuratedTool<S extends z.ZodType = z.ZodType> {
  name: string;
  provider: string;
  description: string;
  input: S;
  probe: { method: string; path: string };
  run(args: z.output<S>, call: ProviderCall): Promise<ToolOutcome>;
}

/** A tool's answer: JSON for the model, or a provider failure shown as a tool error. */
export type ToolOutcome = { ok: true; value: unknown } | {
  ok: false;
  status: number;
  value: unknown;
};

/** A provider answer that is not a success becomes a tool error with the provider's words. */
export function outcomeOf(answer: CallAnswer, trim: (json: unknown) => unknown): ToolOutcome {
  if (answer.status >= 200 && answer.status < 300) {
    return { ok: true, value: answer.json === undefined ? answer.text : trim(answer.json) };
  }
  return { ok: false, status: answer.status, value: answer.json ?? answer.text };
}

type ObjectSchema = { type: "object"; [key: string]: unknown };

/** Converted once per schema: every tools/list would otherwise redo it for every tool. */
const converted = new WeakMap<z.ZodType, ObjectSchema>();

/** The tool's input schema as JSON Schema (what tools/list shows a model). */
export function jsonSchemaOf(input: z.ZodType): ObjectSchema {
  let schema = converted.get(input);
  if (!schema) {
    const { $schema: _drop, ...rest } = z.toJSONSchema(input, { io: "input" }) as Record<
      string,
      unknown
    >;
    converted.set(input, schema = { ...rest, type: "object" });
  }
  return schema;
}

/** Parses a tool's arguments; a problem is an SX-INVALID-INPUT naming the field. */
export function parseArguments<S extends z.ZodType>(
  tool: string,
  input: S,
  args: unknown,
): z.output<S> {
  const parsed = input.safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw mcpErrors.badArguments(tool, `${at}${issue.message}`);
  }
  return parsed.data;
}

/** One path segment from a model-supplied value: encoded, so it stays one segment. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/** A single-line header value: no CR or LF, so nothing can be injected after it. */
export const headerLine = (what: string) =>
  z.string().min(1).max(2000).refine((v) => !/[\r\n]/.test(v), {
    message: `${what} must be one line`,
  });

/** Keeps the named fields of an object (in that order), dropping absent ones. */
export function pick(value: unknown, fields: readonly string[]): Record<string, unknown> {
  if (value === null || typeof value !== "object") return {};
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) if (source[field] !== undefined) out[field] = source[field];
  return out;
}
