import type { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "./exchange.ts";
import type { PeekableBody } from "./peekable_body.ts";
import type { Answer, Lookup, ProxyFilter, Verdict } from "./proxy_filter.ts";

/**
 * A filter refused the call: the pipeline answers with `error` and records
 * the rule. Thrown, but not an Error: a refusal is an answer, and capturing
 * a stack trace per denied call cost more than deciding it.
 */
export class Denied {
  constructor(readonly error: SecurixError, readonly rule: string | null) {}
}

function settle(ex: Exchange, verdict: Verdict): void {
  if (verdict.action === "deny") {
    // A filter that refuses by hiding (404 for an item in a hidden folder) says so itself.
    if (ex.decision !== "hidden") ex.decision = "denied";
    if (verdict.rule !== null && !ex.rules.includes(verdict.rule)) ex.rules.push(verdict.rule);
    throw new Denied(verdict.error, verdict.rule);
  }
}

const NONE: readonly ProxyFilter[] = [];

/**
 * Runs the request hooks; returns the filters still engaged in this call
 * (those with later hooks that did not say `done`).
 */
export async function runRequestFilters(
  filters: readonly ProxyFilter[],
  ex: Exchange,
  body: PeekableBody,
): Promise<readonly ProxyFilter[]> {
  let engaged: ProxyFilter[] | null = null;
  for (const filter of filters) {
    let done = false;
    if (filter.request) {
      const verdict = await filter.request(ex, (limit) => body.read(limit));
      settle(ex, verdict);
      done = verdict.action === "continue" && verdict.done === true;
    }
    if (!done && (filter.authorized || filter.response)) (engaged ??= []).push(filter);
  }
  return engaged ?? NONE;
}

export async function runAuthorizedFilters(
  filters: readonly ProxyFilter[],
  ex: Exchange,
  lookup: Lookup,
): Promise<void> {
  for (const filter of filters) {
    if (filter.authorized) settle(ex, await filter.authorized(ex, lookup));
  }
}

export function hasResponseFilters(filters: readonly ProxyFilter[]): boolean {
  return filters.some((f) => f.response !== undefined);
}

/**
 * Runs the response filters in order; each sees the body as the previous one
 * left it. Returns what goes downstream: the body and whether its length is
 * still the provider's.
 */
export async function runResponseFilters(
  filters: readonly ProxyFilter[],
  ex: Exchange,
  answer: Answer & { body: PeekableBody },
  lookup: Lookup,
  rebody: (body: ReadableStream<Uint8Array> | Uint8Array) => PeekableBody,
): Promise<{ body: PeekableBody; rewritten: boolean }> {
  let body = answer.body;
  let rewritten = false;
  for (const filter of filters) {
    if (!filter.response) continue;
    const current = body;
    // Not a spread: `headers` may be a getter that builds them only for a filter that looks.
    const seen: Answer = {
      status: answer.status,
      get headers() {
        return answer.headers;
      },
      contentType: answer.contentType,
      contentEncoding: answer.contentEncoding,
      readBody: (l) => current.read(l),
    };
    const verdict = await filter.response(ex, seen, lookup);
    if (verdict.action === "continue") continue;
    if (verdict.action === "deny") {
      await body.discard();
      settle(ex, verdict);
    } else if (verdict.action === "replace") {
      await body.discard();
      body = rebody(verdict.body);
      rewritten = true;
    } else {
      const source = body.forward();
      const stream = source instanceof Uint8Array
        ? ReadableStream.from([source])
        : source ?? ReadableStream.from([]);
      body = rebody(stream.pipeThrough(verdict.stream));
      rewritten = true;
    }
  }
  return { body, rewritten };
}
