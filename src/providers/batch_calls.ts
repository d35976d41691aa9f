import { parseContentType } from "../rules/send/rfc822_message.ts";
import type { OperationMap } from "./operation.ts";
import { classFromMethod } from "./operation.ts";

/** What one batch call carries, as the provider will run it. */
export interface BatchCalls {
  /** Calls in the batch (at least 1). */
  calls: number;
  /** Of them, calls of the `delete` class. */
  deletes: number;
}

/** The operation ids whose body is a batch in a format read here. */
export function isCountedBatch(operationId: string): boolean {
  return BATCHES.has(operationId);
}

const BATCHES = new Set([
  "gmail.batch",
  "drive.batch",
  "calendar.batch",
  "microsoft.batch",
  "gmail.users.messages.batchDelete",
  "dropbox.files.delete_batch",
]);

/** Single calls that delete every item of one JSON list: that list's key. */
const LISTS: Record<string, string> = {
  "gmail.users.messages.batchDelete": "ids",
  "dropbox.files.delete_batch": "entries",
};

const decoder = new TextDecoder();

/**
 * The calls a Google `/batch` (multipart/mixed, one `application/http`
 * request per part) or Graph `$batch` (JSON `requests`) body carries, each
 * classed through the provider's operation map. Null when the body cannot
 * be read as such a batch: the caller then treats it as uncountable.
 */
export function countBatch(
  operationId: string,
  path: string,
  body: Uint8Array | null,
  contentType: string | null,
  operations: OperationMap | undefined,
): BatchCalls | null {
  if (body === null || body.length === 0) return null;
  const classOf = (method: string, target: string): string => {
    const q = target.indexOf("?");
    const p = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? "" : target.slice(q);
    const m = method.toUpperCase();
    return operations?.resolve({ method: m, path: p, query }).class ?? classFromMethod(m);
  };
  const text = decoder.decode(body);
  const listed = LISTS[operationId];
  if (listed !== undefined) {
    // One call, deleting every item its list names (up to 1000).
    let items: unknown;
    try {
      items = (JSON.parse(text) as Record<string, unknown> | null)?.[listed];
    } catch {
      return null;
    }
    return Array.isArray(items) ? { calls: 1, deletes: Math.max(1, items.length) } : null;
  }
  if (operationId === "microsoft.batch") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return null;
    }
    const requests = (parsed as { requests?: unknown } | null)?.requests;
    if (!Array.isArray(requests) || requests.length === 0) return null;
    // `/v1.0/$batch` → calls under `/v1.0`.
    const version = path.split("/")[1] ?? "";
    let deletes = 0;
    for (const r of requests) {
      const { method, url } = (r ?? {}) as { method?: unknown; url?: unknown };
      if (typeof method !== "string" || typeof url !== "string") return null;
      const target = /^https?:/i.test(url)
        ? urlTarget(url)
        : `/${version}/${url.replace(/^\/+/, "")}`;
      if (target === null) return null;
      if (classOf(method, target) === "delete") deletes++;
    }
    return { calls: requests.length, deletes };
  }
  const type = parseContentType(contentType ?? undefined);
  const boundary = type.params["boundary"];
  if (!type.mediaType.startsWith("multipart/") || !boundary) return null;
  const pieces = text.split(`--${boundary}`);
  let calls = 0;
  let deletes = 0;
  // pieces[0] is the preamble; the piece after the closing delimiter starts with "--".
  for (let i = 1; i < pieces.length; i++) {
    const piece = pieces[i];
    if (piece.startsWith("--")) break;
    // The part's own headers, an empty line, then the request line of the call it carries.
    const head = piece.search(/\r?\n\r?\n/);
    if (head < 0) return null;
    const rest = piece.slice(head).replace(/^\s+/, "");
    const line = /^([A-Za-z]+)[ \t]+(\S+)/.exec(rest);
    if (!line) return null;
    const target = /^https?:/i.test(line[2]) ? urlTarget(line[2]) : line[2];
    if (target === null) return null;
    // The inner request's own headers may name another method, which Google honours.
    const end = rest.search(/\r?\n\r?\n/);
    const override = /\nx-http-method-override[ \t]*:[ \t]*([A-Za-z]+)/i.exec(
      end < 0 ? rest : rest.slice(0, end),
    );
    calls++;
    if (classOf(override?.[1] ?? line[1], target) === "delete") deletes++;
  }
  return calls === 0 ? null : { calls, deletes };
}

function urlTarget(url: string): string | null {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return null;
  }
}
