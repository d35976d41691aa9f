import { providerErrors, type ProviderOperation } from "./provider_errors.ts";
import { readLimited } from "../proxy/read_limited.ts";

/**
 * The one way this folder talks HTTP to a provider: injected `fetch`, a
 * deadline that covers the body as well as the headers, no redirects
 * followed (a token endpoint that redirects is misconfigured, and following
 * could carry client credentials elsewhere), and a size cap on answers.
 */

export interface ProviderHttp {
  fetch: typeof fetch;
  /** Per request, headers and body included. */
  timeoutMs: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Token, userinfo and discovery answers are a few KiB; 1 MiB is generous. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export function providerHttp(options: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
  return {
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  } satisfies ProviderHttp;
}

export interface ProviderResponse {
  status: number;
  /** Parsed JSON, or `undefined` when the body is empty or not JSON. */
  json: unknown;
}

/**
 * Sends one request and reads its JSON answer. Network failures, timeouts
 * and oversized bodies become typed errors; HTTP error statuses do not (the
 * caller knows how its provider reports errors).
 */
export async function requestJson(
  http: ProviderHttp,
  target: { provider: string; operation: ProviderOperation },
  url: string,
  init: RequestInit,
): Promise<ProviderResponse> {
  let response: Response;
  try {
    response = await fetchWithDeadline(http, url, init);
  } catch (error) {
    throw unreachable(target, url, error, http.timeoutMs);
  }
  let text: string | null;
  try {
    text = await readBounded(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    throw unreachable(target, url, error, http.timeoutMs);
  }
  if (text === null) {
    throw providerErrors.badResponse(
      target.provider,
      target.operation,
      `${where(url)} answered with more than ${MAX_RESPONSE_BYTES} bytes`,
    );
  }
  return { status: response.status, json: parseJson(text) };
}

/**
 * Sends one request with the deadline and redirect policy above, and rejects
 * as `fetch` does (see `timedOut`). The deadline stays on the answer's body,
 * so a caller reading it is bounded too; one that only needs the status
 * cancels the body.
 */
export function fetchWithDeadline(
  http: ProviderHttp,
  url: string,
  init: RequestInit,
): Promise<Response> {
  return http.fetch(url, {
    ...init,
    signal: AbortSignal.timeout(http.timeoutMs),
    redirect: "manual",
  });
}

/** Whether `fetchWithDeadline` (or reading its body) failed because the deadline passed. */
export function timedOut(error: unknown): boolean {
  return error instanceof DOMException &&
    (error.name === "TimeoutError" || error.name === "AbortError");
}

/**
 * Where a request went, for messages: origin and path only. Tokens and
 * credentials never travel in our URLs, but a query string is not shown anyway.
 */
export function where(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.origin + parsed.pathname;
  } catch {
    return "the provider";
  }
}

function unreachable(
  target: { provider: string; operation: ProviderOperation },
  url: string,
  error: unknown,
  timeoutMs: number,
) {
  // The cause is not kept: fetch errors can quote the request, and these
  // requests carry codes, tokens and client credentials.
  return providerErrors.unreachable(
    target.provider,
    target.operation,
    timedOut(error)
      ? `no answer from ${where(url)} within ${timeoutMs} ms`
      : `${where(url)} could not be reached`,
  );
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The body as text, or null when it exceeds `max` bytes (reading stops there). */
async function readBounded(response: Response, max: number): Promise<string | null> {
  if (!response.body) return "";
  const bytes = await readLimited(response.body, max);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}
