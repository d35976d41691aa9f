import type { StoredCredential } from "../connections/connection_types.ts";
import { EMPTY_PAYLOAD_HASH } from "../providers/credential_injection.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { type Deadline, type DeadlineWheel, upstreamDeadlines } from "./deadline_wheel.ts";
import { type HeaderPairs, removePairs, setPair } from "./header_pairs.ts";
import { proxyErrors } from "./proxy_errors.ts";
import { readLimited } from "./read_limited.ts";
import type { Lookup } from "./proxy_filter.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import { METHOD_OVERRIDES, type SentHeaders } from "./sent_headers.ts";
import { upstreamUrl } from "./upstream_url.ts";
import type { UpstreamResponse, UpstreamTransport } from "./upstream_transport.ts";

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS", "DELETE"]);

/** Largest answer a lookup reads. */
const LOOKUP_LIMIT = 1024 * 1024;

export interface ForwardDeps {
  /** How requests reach the provider (injectable so tests can stand in for the network). */
  upstream: UpstreamTransport;
  /** Time allowed for the upstream's response headers, counted from the end of the request body. */
  upstreamTimeoutMs: number;
  /** Where upstream timeouts are kept; default the isolate's shared wheel. */
  deadlines?: DeadlineWheel;
}

/** A method whose body, if any, the proxy does not forward. */
export function bodyless(method: string): boolean {
  return BODYLESS.has(method);
}

/**
 * One request to the provider with the credential injected. The upstream
 * timeout runs from `bodySent` (a 200 MB upload may take longer than the
 * timeout: the clock starts once it is sent), or from now without a body;
 * it ends once the provider's answer head is in. It is kept on the shared
 * deadline wheel, so it fires up to one tick (250 ms) late.
 */
export async function send(
  deps: ForwardDeps,
  method: string,
  sent: SentHeaders,
  route: ProxyRoute,
  url: URL,
  credential: StoredCredential,
  body: ReadableStream<Uint8Array> | null,
  bodySent?: Promise<void>,
  inspected = false,
  payloadHash?: string,
): Promise<UpstreamResponse> {
  // A copy: the credential goes into it, and a 401 replay starts again from the caller's.
  const headers = sent.upstream.slice();
  if (sent.methodOverrideHeaders !== null) keepHonouredOverride(headers, route, method);
  framing(method, sent.contentLength, body !== null, headers);
  // A filter reads the answer, or the key rides in the query and the answer is
  // searched for it: the transport decodes nothing, so ask for it uncompressed,
  // or a gzip answer would pass uninspected.
  if (inspected || route.credentialParam !== undefined) {
    setPair(headers, "accept-encoding", "identity");
    // A slice of the answer is no longer JSON: redaction would skip it and pass it on;
    // and slices cut where a caller asks would let a key out a part at a time.
    removePairs(headers, "range");
    removePairs(headers, "if-range");
  }
  const target = route.inject(credential, headers, url, { method, payloadHash });
  const controller = new AbortController();
  const expire = () => controller.abort();
  let deadline: Deadline | null = null;
  let answered = false;
  const wheel = deps.deadlines ?? upstreamDeadlines;
  if (body && bodySent) {
    void bodySent.then(() => {
      if (!answered) deadline = wheel.arm(deps.upstreamTimeoutMs, expire);
    });
  } else deadline = wheel.arm(deps.upstreamTimeoutMs, expire);
  try {
    return await deps.upstream.forward({
      method,
      url: target,
      headers,
      body,
      signal: controller.signal,
    });
  } catch (error) {
    if (controller.signal.aborted) {
      throw proxyErrors.upstreamTimeout(route.provider, deps.upstreamTimeoutMs);
    }
    if (error instanceof SecurixError) throw error;
    throw proxyErrors.upstreamUnreachable(route.provider);
  } finally {
    answered = true;
    (deadline as Deadline | null)?.cancel();
  }
}

/**
 * Only the override header the provider honours goes on, and only on a POST
 * (checkMethodOverride refused it on any other method): a provider the
 * catalog says honours none could still act on one the rules did not judge.
 */
function keepHonouredOverride(headers: HeaderPairs, route: ProxyRoute, method: string): void {
  for (const name of METHOD_OVERRIDES) {
    if (name !== route.methodOverride || method !== "POST") removePairs(headers, name);
  }
}

/**
 * The caller's framing, kept: a body sent with Content-Length goes on with
 * that length (some APIs refuse chunked uploads), one sent chunked stays
 * chunked, and an empty body declared with `Content-Length: 0` keeps it.
 * Deno.serve has already refused a request that sends both.
 */
function framing(
  method: string,
  length: string | null,
  hasBody: boolean,
  headers: HeaderPairs,
): void {
  if (length !== null && (hasBody || !BODYLESS.has(method))) {
    headers.push(["content-length", length]);
  } else if (hasBody) headers.push(["transfer-encoding", "chunked"]);
}

/**
 * An authenticated GET on the call's provider with its credential, for
 * filters that must know more than the call says (a Drive file's folders).
 * Confined to the route's API like any proxied path; any failure is null.
 */
export function providerLookup(
  deps: ForwardDeps,
  route: ProxyRoute,
  credential: () => StoredCredential,
): Lookup {
  return async (pathAndQuery) => {
    const q = pathAndQuery.indexOf("?");
    const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
    const search = q === -1 ? "" : pathAndQuery.slice(q);
    try {
      const url = upstreamUrl(route.baseUrl, path, search);
      const headers: HeaderPairs = [["accept", "application/json"], [
        "accept-encoding",
        "identity",
      ]];
      const target = route.inject(credential(), headers, url, {
        method: "GET",
        payloadHash: EMPTY_PAYLOAD_HASH,
      });
      const response = await deps.upstream.forward({
        method: "GET",
        url: target,
        headers,
        body: null,
        signal: AbortSignal.timeout(deps.upstreamTimeoutMs),
      });
      const body = response.body;
      if (response.status !== 200 || body === null) {
        if (body instanceof ReadableStream) await body.cancel();
        return null;
      }
      const bytes = body instanceof Uint8Array ? body : await readLimited(body, LOOKUP_LIMIT);
      return bytes === null ? null : JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return null;
    }
  };
}
