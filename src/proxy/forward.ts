import type { StoredCredential } from "../connections/connection_types.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { upstreamRequestHeaders } from "./header_hygiene.ts";
import { proxyErrors } from "./proxy_errors.ts";
import type { Lookup } from "./proxy_filter.ts";
import type { ProxyRoute } from "./proxy_route.ts";
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
}

/** A method whose body, if any, the proxy does not forward. */
export function bodyless(method: string): boolean {
  return BODYLESS.has(method);
}

/**
 * One request to the provider with the credential injected. The upstream
 * timeout runs from `bodySent` (a 200 MB upload may take longer than the
 * timeout: the clock starts once it is sent), or from now without a body.
 */
export async function send(
  deps: ForwardDeps,
  req: Request,
  route: ProxyRoute,
  url: URL,
  credential: StoredCredential,
  body: ReadableStream<Uint8Array> | null,
  bodySent?: Promise<void>,
  inspected = false,
): Promise<UpstreamResponse> {
  const headers = upstreamRequestHeaders(req.headers);
  framing(req, body !== null, headers);
  // A filter reads the answer: the transport decodes nothing, so ask for it
  // uncompressed, or a gzip answer would pass uninspected.
  if (inspected) headers.set("accept-encoding", "identity");
  const target = new URL(url);
  route.inject(credential, headers, target);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let answered = false;
  const startTimer = () => {
    if (!answered) timer = setTimeout(() => controller.abort(), deps.upstreamTimeoutMs);
  };
  if (body && bodySent) void bodySent.then(startTimer);
  else startTimer();
  try {
    return await deps.upstream.forward({
      method: req.method,
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
    clearTimeout(timer);
  }
}

/**
 * The caller's framing, kept: a body sent with Content-Length goes on with
 * that length (some APIs refuse chunked uploads), one sent chunked stays
 * chunked, and an empty body declared with `Content-Length: 0` keeps it.
 * Deno.serve has already refused a request that sends both.
 */
function framing(req: Request, hasBody: boolean, headers: Headers): void {
  const length = req.headers.get("content-length");
  if (length !== null && (hasBody || !BODYLESS.has(req.method))) {
    headers.set("content-length", length);
  } else if (hasBody) headers.set("transfer-encoding", "chunked");
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
      const headers = new Headers({ accept: "application/json", "accept-encoding": "identity" });
      route.inject(credential(), headers, url);
      const response = await deps.upstream.forward({
        method: "GET",
        url,
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

async function readLimited(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return whole;
}
