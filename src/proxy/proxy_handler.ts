import { AUDIT_NOTE, textProblem } from "../identifiers/identifier.ts";
import type { AuditWriter } from "../audit/audit_writer.ts";
import type { StoredCredential } from "../connections/connection_types.ts";
import type { CredentialSource } from "../connections/credential_source.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { errorResponse } from "../errors/error_response.ts";
import { auditPath } from "./audit_path.ts";
import { countingStream } from "./byte_counter.ts";
import { headerText } from "./header_text.ts";
import type { Caller, CallerResolver } from "./caller_identity.ts";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./header_hygiene.ts";
import { providerFromHost, providerFromPath, requestTarget } from "./host_routing.ts";
import { ANSWERED_AS_IS, proxyErrors } from "./proxy_errors.ts";
import type { ProxyRoute, RouteTable } from "./proxy_route.ts";
import { upstreamUrl } from "./upstream_url.ts";
import type { UpstreamResponse, UpstreamTransport } from "./upstream_transport.ts";
import { bridgeWebSocket } from "./websocket_proxy.ts";

export interface ProxyDeps {
  routes: RouteTable;
  baseDomain: string;
  callers: CallerResolver;
  credentials: CredentialSource;
  audit: AuditWriter | null;
  /** How requests reach the provider: http_transport.ts, or fetch_transport.ts for test doubles. */
  upstream: UpstreamTransport;
  now: () => number;
  /** Time allowed for the upstream's response headers, counted from the end of the request body. */
  upstreamTimeoutMs: number;
  maxRequestBytes: number;
  maxHeaderBytes: number;
  onRequest?: (
    provider: string,
    status: number,
    totalMs: number,
    upstreamMs: number | null,
  ) => void;
  /**
   * A request refused before any key was checked (malformed target, headers
   * or declared body too large): summarised per address like a bad key, not
   * chained one record each. `reason` is the code in snake case.
   */
  onRefusedUnauthenticated?: (address: string, reason: string) => void;
  /** An internal failure on the request path (the caller only sees SX-UNAVAILABLE). */
  onInternalError?: (error: unknown) => void;
}

export interface ProxyTarget {
  route: ProxyRoute;
  path: string;
  /** The request URL, parsed once by the caller. */
  url: URL;
}

const BODYLESS = new Set(["GET", "HEAD", "OPTIONS", "DELETE"]);

/**
 * Refusals of callers that never showed a valid key: counted per client
 * address and minute in one `auth.failed` summary (see KeyAuthenticator),
 * not a chained record each, so a flood cannot fill the audit log.
 */
const UNAUTHENTICATED = new Set(["SX-API-KEY-MISSING", "SX-API-KEY-INVALID", "SX-AUTH-LOCKOUT"]);
/** Refusals of `checkRequestShape`, which runs before the key is looked at. */
const BEFORE_AUTH = new Set(["SX-BAD-REQUEST-TARGET", "SX-HEADERS-TOO-LARGE", "SX-BODY-TOO-LARGE"]);

/**
 * Which proxied request this is, if any: by Host (X-Forwarded-Host only when
 * the socket peer is a trusted proxy), or by the /proxy/<name>/ path.
 * Matched on the path as sent, never on its dot-resolved form.
 */
export function matchProxy(
  deps: ProxyDeps,
  req: Request,
  url: URL = new URL(req.url),
  peerIsTrustedProxy = false,
): ProxyTarget | "unknown" | null {
  const { authority, path } = requestTarget(req.url);
  const byHost = providerFromHost(
    req.headers,
    { baseDomain: deps.baseDomain, trustProxy: peerIsTrustedProxy },
    authority,
  );
  if (byHost) {
    const route = deps.routes.get(byHost);
    return route ? { route, path, url } : "unknown";
  }
  const byPath = providerFromPath(path);
  if (!byPath) return null;
  const route = deps.routes.get(byPath.provider);
  return route ? { route, path: byPath.path, url } : "unknown";
}

function headerBytes(headers: Headers): number {
  let n = 0;
  for (const [name, value] of headers) n += name.length + value.length + 4;
  return n;
}

function checkRequestShape(deps: ProxyDeps, req: Request, url: URL): void {
  if (headerBytes(req.headers) > deps.maxHeaderBytes) throw proxyErrors.headersTooLarge();
  if (req.headers.has("content-length") && req.headers.has("transfer-encoding")) {
    throw proxyErrors.badTarget("both Content-Length and Transfer-Encoding are set");
  }
  const host = (req.headers.get("host") ?? "").toLowerCase();
  if (host && url.host.toLowerCase() !== host) {
    throw proxyErrors.badTarget("absolute-form request targets are not accepted");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > deps.maxRequestBytes) throw proxyErrors.bodyTooLarge(deps.maxRequestBytes);
}

/**
 * The hot path: authenticate, fetch the credential, forward with the body
 * streamed both ways, answer, and queue one audit record. `clientAddress`
 * is the caller's address as the edge counts it (failed key checks).
 */
export async function handleProxy(
  deps: ProxyDeps,
  req: Request,
  target: ProxyTarget,
  clientAddress = "unknown",
): Promise<Response> {
  const started = deps.now();
  const { route, url } = target;
  const sentNote = req.headers.get("x-securix-audit-note");
  const noteText = sentNote === null ? null : headerText(sentNote);
  const noteProblem = noteText === null ? null : textProblem(noteText, AUDIT_NOTE);
  // A refused note is not kept: the record says the request was refused, not what it said.
  const note = noteProblem ? null : noteText;
  let caller: Caller | null = null;
  let upstreamMs: number | null = null;
  const finish = (status: number, decision: string, bytesIn: number, bytesOut: number) => {
    deps.onRequest?.(route.provider, status, deps.now() - started, upstreamMs);
    // Backlog refusals are not queued, so the backlog can drain; every request that was served is.
    if (decision === "denied:SX-AUDIT-BACKLOG") return;
    const code = decision.slice("denied:".length);
    if (caller === null && UNAUTHENTICATED.has(code)) return;
    // With no caller these codes can only come from the shape check, before the key.
    if (caller === null && BEFORE_AUTH.has(code)) {
      deps.onRefusedUnauthenticated?.(
        clientAddress,
        code.slice(3).toLowerCase().replaceAll("-", "_"),
      );
      return;
    }
    deps.audit?.record({
      kind: "proxy.request",
      at: started,
      appId: caller?.app.id ?? null,
      agentId: caller?.agentId ?? null,
      entityId: caller?.entityId ?? null,
      provider: route.provider,
      // Keys in sorted order: the audit thread then hashes JSON.stringify as is.
      data: {
        bytesIn,
        bytesOut,
        decision,
        durationMs: deps.now() - started,
        host: route.host,
        method: req.method,
        note,
        path: auditPath(target.path, url.search),
        status,
      },
    });
  };
  try {
    checkRequestShape(deps, req, url);
    if (deps.audit?.backlogged) throw proxyErrors.auditBacklog();
    // Before the caller checks: a provider that cannot be used answers alike for everyone.
    const ready = route.ready?.();
    if (ready) await ready;
    caller = await deps.callers.resolve(req.headers, route.provider, clientAddress);
    if (noteProblem) throw proxyErrors.invalidHeader("x-securix-audit-note", noteProblem);
    const upstream = upstreamUrl(route.baseUrl, target.path, url.search);
    let credential = await deps.credentials.get(caller.connection);
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      if (!route.websocket) {
        throw proxyErrors.badTarget(`${route.provider} does not accept WebSocket upgrades`);
      }
      const protocols = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) =>
        p.trim()
      )
        .filter(Boolean);
      finish(101, "allowed", 0, 0);
      return bridgeWebSocket({ req, route, upstreamUrl: upstream, credential, protocols });
    }
    let bytesIn = 0;
    // A 200 MB upload may take longer than the upstream timeout: that starts once it is sent.
    const bodySent = Promise.withResolvers<void>();
    const body = BODYLESS.has(req.method) || req.body === null ? null : req.body.pipeThrough(
      countingStream(
        (n) => {
          bytesIn = n;
          bodySent.resolve();
        },
        deps.maxRequestBytes,
        () => proxyErrors.bodyTooLarge(deps.maxRequestBytes),
      ),
    );
    const t0 = deps.now();
    let response = await send(deps, req, route, upstream, credential, body, bodySent.promise);
    if (response.status === 401 && body === null) {
      // The provider rejected a token we thought valid: refresh once and replay.
      // A token that was just issued is not the problem (a scope, say): the 401 stands.
      const fresh = await deps.credentials.get(caller.connection, credential.accessToken);
      if (fresh.accessToken !== credential.accessToken) {
        if (response.body instanceof ReadableStream) await response.body.cancel();
        credential = fresh;
        response = await send(deps, req, route, upstream, credential, null);
      }
    }
    upstreamMs = deps.now() - t0;
    const headers = downstreamResponseHeaders(response.headers, response.decoded);
    const status = response.status;
    if (response.body === null) {
      finish(status, "allowed", bytesIn, 0);
      return new Response(null, { status, headers });
    }
    // The length sent downstream (a transport that decoded a gzip body dropped it).
    const declared = headers.get("content-length");
    if (response.body instanceof Uint8Array || (declared !== null && /^\d+$/.test(declared))) {
      // Known length: no per-chunk counting stream on the hot path.
      const bytesOut = response.body instanceof Uint8Array
        ? response.body.byteLength
        : Number(declared);
      finish(status, "allowed", bytesIn, bytesOut);
      return new Response(response.body, { status, statusText: response.statusText, headers });
    }
    const counted = response.body.pipeThrough(
      countingStream((bytesOut) => finish(status, "allowed", bytesIn, bytesOut)),
    );
    return new Response(counted, { status, statusText: response.statusText, headers });
  } catch (error) {
    const sx = clientError(deps, error);
    if (sx.code === "SX-TOKEN-EXPIRED" && caller) deps.callers.forgetConnection(caller.connection);
    finish(sx.status, `denied:${sx.code}`, 0, 0);
    return errorResponse(sx);
  }
}

/**
 * What the caller sees: our typed refusals and the provider's failures as
 * they are; anything else (an unexpected error, or a 5xx of ours such as a
 * vault that cannot decrypt) is reported to the operator and answered with
 * SX-UNAVAILABLE, so no internal detail reaches an app.
 */
function clientError(deps: ProxyDeps, error: unknown): SecurixError {
  const ours = error instanceof SecurixError && error.status >= 500 &&
    !ANSWERED_AS_IS.has(error.code);
  if (error instanceof SecurixError && !ours) return error;
  deps.onInternalError?.(error);
  return proxyErrors.unavailable();
}

async function send(
  deps: ProxyDeps,
  req: Request,
  route: ProxyRoute,
  url: URL,
  credential: StoredCredential,
  body: ReadableStream<Uint8Array> | null,
  bodySent?: Promise<void>,
): Promise<UpstreamResponse> {
  const headers = upstreamRequestHeaders(req.headers);
  framing(req, body !== null, headers);
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
