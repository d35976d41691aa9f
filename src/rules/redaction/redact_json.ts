import type { Redactor } from "./detectors.ts";
import { gmailFieldRole, redactEncodedField } from "./gmail_bodies.ts";

/**
 * Redaction of a whole JSON response body: parse, walk every string value
 * (keys are never touched), serialise again only if something changed.
 * An unchanged body is returned as the very same bytes, so a response without
 * PII passes byte-identical.
 *
 * Limits: numbers are never redacted (a card number sent as a JSON number
 * stays); a changed body is re-serialised compactly (whitespace and
 * duplicate keys of the original are not kept, number spelling like `1.0`
 * may change; integers beyond 2^53 are kept digit for digit).
 */

export type RedactResult =
  | { ok: true; body: Uint8Array; counts: Record<string, number>; changed: boolean }
  | { ok: false; reason: "not_json" | "too_large" | "encoded" };

export interface RedactJsonOptions {
  /** Decode and redact Gmail's base64url bodies (`payload…body.data`, `raw`). */
  gmail: boolean;
  /** Bodies larger than this are refused with "too_large" (the integrator's `rules.max_inspect_bytes`). */
  maxBytes?: number;
  /**
   * The caller gives up `body`: a changed result is written into it when it
   * fits (the result's `body` is then a view of it). Writing to fresh memory
   * was the largest single cost of a changed 1 MB body (page faults); reusing
   * pages the input already touched avoids it.
   */
  reuseInput?: boolean;
}

const MEDIA_TYPE_JSON = /^(?:application\/(?:[\w.+-]+\+)?json|text\/json)$/;

/**
 * Whether a response can be redacted at all: JSON media types in UTF-8,
 * without a content coding (the filter does not decompress).
 */
export function inspectable(contentType: string | null, contentEncoding: string | null): boolean {
  if (contentType === null) return false;
  const encoding = (contentEncoding ?? "").trim().toLowerCase();
  if (encoding !== "" && encoding !== "identity") return false;
  const [mediaType, ...params] = contentType.split(";");
  if (!MEDIA_TYPE_JSON.test(mediaType.trim().toLowerCase())) return false;
  for (const p of params) {
    const [name, value = ""] = p.split("=");
    if (name.trim().toLowerCase() !== "charset") continue;
    const charset = value.trim().replace(/^"|"$/g, "").toLowerCase();
    if (charset !== "utf-8" && charset !== "utf8") return false;
  }
  return true;
}

/** gzip and zstd bodies mislabelled as identity; brotli has no magic number. */
function compressed(body: Uint8Array): boolean {
  return (body[0] === 0x1f && body[1] === 0x8b) ||
    (body[0] === 0x28 && body[1] === 0xb5 && body[2] === 0x2f && body[3] === 0xfd);
}

const UTF8 = new TextDecoder("utf-8");
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true });
const ENCODER = new TextEncoder();

/**
 * Like utf8_text.ts's, but a body's byte-order mark is dropped (JSON.parse
 * refuses one). Deno's fatal decoder copies its input first, which on a
 * 1 MB body cost more than the lenient decode; a U+FFFD in the result is
 * rare, and only then is the body decoded strictly.
 */
function decodeUtf8(bytes: Uint8Array): string | null {
  const text = UTF8.decode(bytes);
  if (text.indexOf("\uFFFD") === -1) return text;
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    return null;
  }
}

/** ES2026 JSON source text access; not yet in TypeScript's lib. */
interface JsonWithSource {
  parse(
    text: string,
    reviver: (key: string, value: unknown, context: { source?: string }) => unknown,
  ): unknown;
  rawJSON(text: string): unknown;
  isRawJSON(value: unknown): boolean;
}
const JSON_SOURCE = JSON as unknown as JsonWithSource;

function unsafeInteger(v: number): boolean {
  return Number.isInteger(v) && !Number.isSafeInteger(v);
}

interface Walk {
  changed: boolean;
  /** An integer JSON.stringify would not write back digit for digit. */
  unsafeIntegers: boolean;
}

/**
 * Visits every string value of a parsed tree in place. Iterative, so a deeply
 * nested body cannot overflow the stack; `parentKeys` runs beside `stack` so
 * Gmail fields can be recognised by where they sit.
 */
function walk(
  root: unknown,
  redactor: Redactor,
  gmail: boolean,
  counts: Record<string, number>,
  rawNumbers: boolean,
): { root: unknown } & Walk {
  const state: Walk = { changed: false, unsafeIntegers: false };
  if (typeof root === "string") {
    const out = redactor.redactString(root, counts);
    return { root: out, changed: out !== root, unsafeIntegers: false };
  }
  if (typeof root !== "object" || root === null) {
    return {
      root,
      changed: false,
      unsafeIntegers: typeof root === "number" && unsafeInteger(root),
    };
  }
  const stack: object[] = [root];
  const parentKeys: string[] = [""];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const parentKey = parentKeys.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === "string") {
          const out = redactor.redactString(v, counts);
          if (out !== v) {
            node[i] = out;
            state.changed = true;
          }
        } else if (typeof v === "object" && v !== null) {
          if (rawNumbers && JSON_SOURCE.isRawJSON(v)) continue;
          stack.push(v);
          parentKeys.push(parentKey); // items of "parts" are parts
        } else if (typeof v === "number" && unsafeInteger(v)) {
          state.unsafeIntegers = true;
        }
      }
      continue;
    }
    const obj = node as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (typeof v === "string") {
        const role = gmail ? gmailFieldRole(parentKey, key, obj) : "plain";
        if (role === "identifier") continue;
        const out = role === "encoded"
          ? redactEncodedField(key, v, redactor, counts)
          : redactor.redactString(v, counts);
        if (out !== v) {
          // Plain assignment to "__proto__" would set the prototype, not the member.
          Object.defineProperty(obj, key, {
            value: out,
            writable: true,
            enumerable: true,
            configurable: true,
          });
          state.changed = true;
        }
      } else if (typeof v === "object" && v !== null) {
        if (rawNumbers && JSON_SOURCE.isRawJSON(v)) continue;
        stack.push(v);
        parentKeys.push(key);
      } else if (typeof v === "number" && unsafeInteger(v)) {
        state.unsafeIntegers = true;
      }
    }
  }
  return { root, ...state };
}

function encodeOutput(text: string, input: Uint8Array, reuseInput: boolean): Uint8Array {
  // UTF-8 is never shorter than the UTF-16 length, so shorter input cannot fit.
  if (reuseInput && text.length <= input.byteLength) {
    const { read, written } = ENCODER.encodeInto(text, input);
    if (read === text.length) return input.subarray(0, written);
  }
  return ENCODER.encode(text);
}

/** Re-parses keeping each unsafe integer's source text, so stringify writes it back unchanged. */
function parseKeepingIntegers(text: string): unknown {
  return JSON_SOURCE.parse(
    text,
    (_key, value, context) =>
      typeof value === "number" && unsafeInteger(value) && context.source !== undefined
        ? JSON_SOURCE.rawJSON(context.source)
        : value,
  );
}

export function redactJsonBody(
  body: Uint8Array,
  redactor: Redactor,
  opts: RedactJsonOptions,
): RedactResult {
  if (opts.maxBytes !== undefined && body.byteLength > opts.maxBytes) {
    return { ok: false, reason: "too_large" };
  }
  if (compressed(body)) return { ok: false, reason: "encoded" };
  const text = decodeUtf8(body);
  if (text === null) return { ok: false, reason: "not_json" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not_json" };
  }
  let counts: Record<string, number> = {};
  let result = walk(parsed, redactor, opts.gmail, counts, false);
  if (!result.changed) return { ok: true, body, counts, changed: false };
  if (result.unsafeIntegers) {
    counts = {};
    result = walk(parseKeepingIntegers(text), redactor, opts.gmail, counts, true);
  }
  let serialised: string;
  try {
    serialised = JSON.stringify(result.root);
  } catch {
    // V8 parses nesting deeper than it can stringify (RangeError): too big to rewrite.
    return { ok: false, reason: "too_large" };
  }
  return {
    ok: true,
    body: encodeOutput(serialised, body, opts.reuseInput === true),
    counts,
    changed: true,
  };
}
