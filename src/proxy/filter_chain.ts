import type { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "./exchange.ts";
import type { PeekableBody } from "./peekable_body.ts";
import type { Answer, BodyReader, Lookup, ProxyFilter, Verdict } from "./proxy_filter.ts";

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
 * A hook answered a promise (or another thenable). Checked by `then`, not
 * `instanceof Promise`: a thenable taken for a verdict would read as
 * `continue`, and a deny it carried would be lost.
 */
function pending<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === "function";
}

/**
 * Runs the request hooks; returns the filters still engaged in this call
 * (those with later hooks that did not say `done`). Synchronous while every
 * hook answers a plain verdict (an anomaly filter with no block in force,
 * say): no promise and no await on the path of a call nothing concerns.
 * Throws `Denied` (synchronously, or by rejecting) when a filter refuses.
 */
export function runRequestFilters(
  filters: readonly ProxyFilter[],
  ex: Exchange,
  body: PeekableBody,
): readonly ProxyFilter[] | Promise<readonly ProxyFilter[]> {
  return requestFrom(filters, 0, null, ex, body, null);
}

function requestFrom(
  filters: readonly ProxyFilter[],
  start: number,
  engaged: ProxyFilter[] | null,
  ex: Exchange,
  body: PeekableBody,
  reader: BodyReader | null,
): readonly ProxyFilter[] | Promise<readonly ProxyFilter[]> {
  for (let i = start; i < filters.length; i++) {
    const filter = filters[i];
    if (filter.request) {
      // inspect, not read: a filter reads the body to decide on it.
      reader ??= (limit) => body.inspect(limit);
      const answer = filter.request(ex, reader);
      if (pending(answer)) return requestAfter(filters, i, engaged, ex, body, reader, answer);
      if (requestSettled(ex, answer)) continue;
    }
    if (filter.authorized || filter.response) (engaged ??= []).push(filter);
  }
  return engaged ?? NONE;
}

/** The rest of the chain once filter `i` answered a promise: in order, as before. */
async function requestAfter(
  filters: readonly ProxyFilter[],
  i: number,
  engaged: ProxyFilter[] | null,
  ex: Exchange,
  body: PeekableBody,
  reader: BodyReader,
  answer: PromiseLike<Verdict>,
): Promise<readonly ProxyFilter[]> {
  const filter = filters[i];
  if (!requestSettled(ex, await answer) && (filter.authorized || filter.response)) {
    (engaged ??= []).push(filter);
  }
  return await requestFrom(filters, i + 1, engaged, ex, body, reader);
}

/** Settles a request hook's verdict (throws on a deny); true when the filter is done with the call. */
function requestSettled(ex: Exchange, verdict: Verdict): boolean {
  settle(ex, verdict);
  return verdict.action === "continue" && verdict.done === true;
}

/** Runs the authorized hooks in order; synchronous while each answers a plain verdict. */
export function runAuthorizedFilters(
  filters: readonly ProxyFilter[],
  ex: Exchange,
  lookup: Lookup,
): void | Promise<void> {
  return authorizedFrom(filters, 0, ex, lookup);
}

function authorizedFrom(
  filters: readonly ProxyFilter[],
  start: number,
  ex: Exchange,
  lookup: Lookup,
): void | Promise<void> {
  for (let i = start; i < filters.length; i++) {
    const filter = filters[i];
    if (!filter.authorized) continue;
    const answer = filter.authorized(ex, lookup);
    if (pending(answer)) return authorizedAfter(filters, i, ex, lookup, answer);
    settle(ex, answer);
  }
}

async function authorizedAfter(
  filters: readonly ProxyFilter[],
  i: number,
  ex: Exchange,
  lookup: Lookup,
  answer: PromiseLike<Verdict>,
): Promise<void> {
  settle(ex, await answer);
  await authorizedFrom(filters, i + 1, ex, lookup);
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
