import { AUDIT_NOTE, textProblem } from "../identifiers/identifier.ts";
import type { App } from "../apps/app_store.ts";
import { oauthTokens, type StoredCredential } from "../connections/connection_types.ts";
import { signedPayloadHash } from "./signed_payload.ts";
import { DEFAULT_MAX_INSPECT_BYTES } from "../config/schema.ts";
import type { CredentialSource } from "../connections/credential_source.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { errorResponse } from "../errors/error_response.ts";
import {
  type CallShape,
  classFromMethod,
  type Operation,
  type OperationMap,
} from "../providers/operation.ts";
import { auditPath } from "./audit_path.ts";
import { countingStream } from "./byte_counter.ts";
import type { Caller, CallerResolver } from "./caller_identity.ts";
import { type CallRecord, complete, type CompletionDeps } from "./completion.ts";
import type { Decision, Exchange } from "./exchange.ts";
import {
  Denied,
  hasResponseFilters,
  runAuthorizedFilters,
  runRequestFilters,
  runResponseFilters,
} from "./filter_chain.ts";
import { bodyless, type ForwardDeps, providerLookup, send } from "./forward.ts";
import { headerText } from "./header_text.ts";
import { downstreamResponsePairs, withoutUrlParam } from "./header_hygiene.ts";
import { type HeaderPairs, pairValue, removePairs, setPair } from "./header_pairs.ts";
import { providerFromHost, providerFromPath, requestTarget } from "./host_routing.ts";
import { checkFormOverride } from "./form_override.ts";
import { PeekableBody } from "./peekable_body.ts";
import {
  AgentMismatch,
  ANSWERED_AS_IS,
  MalformedForeignAgentId,
  proxyErrors,
} from "./proxy_errors.ts";
import type { Lookup, ProxyFilter } from "./proxy_filter.ts";
import type { ProxyRoute, RouteTable } from "./proxy_route.ts";
import { SecretScrubber } from "./secret_scrub.ts";
import { checkMethodOverride, checkRequestShape, judgedMethod } from "./request_shape.ts";
import { readSentHeaders, type SentHeaders } from "./sent_headers.ts";
import { upstreamUrl } from "./upstream_url.ts";
import type { UpstreamResponse } from "./upstream_transport.ts";
import { bridgeWebSocket } from "./websocket_proxy.ts";
import { identityCoded } from "./request_coding.ts";
import {
  clientRequestId,
  isolateRequestIds,
  REQUEST_ID_HEADER,
  type RequestIds,
} from "../identifiers/request_id.ts";

export interface ProxyDeps extends CompletionDeps, ForwardDeps {
  routes: RouteTable;
  baseDomain: string;
  callers: CallerResolver;
  credentials: CredentialSource;
  maxRequestBytes: number;
  maxHeaderBytes: number;
  /** Largest body hashed into a request signature (`[proxy] max_inspect_bytes`); default 8 MiB. */
  maxInspectBytes?: number;
  /**
   * An internal failure on the request path (the caller only sees
   * SX-UNAVAILABLE and the request id, which the log line should name).
   */
  onInternalError?: (error: unknown, requestId: string) => void;
  /** Where request ids come from; default this isolate's source. */
  requestIds?: RequestIds;
  /**
   * The filters in force, read once per call: a reload swaps the list and
   * calls already running keep the one they started with.
   */
  filters?: () => readonly ProxyFilter[];
}

/**
 * A caller identified by another front door (an MCP grant: app, agent and
 * entity already checked), so no securix-* header is read. Its connection
 * is still checked here like any caller's.
 */
export interface KnownCaller {
  app: App;
  agentId: string;
  entityId: string;
  /** The front door, recorded as the audit record's `via`, with the tool called. */
  via: string;
  tool: string;
  /** Told the typed refusal when the pipeline refused the call (its llmError is the tool's answer). */
  onRefused?: (error: SecurixError) => void;
  /** The id the front door's own answer carries, so its audit record names the same one. */
  requestId?: string;
}

export interface ProxyTarget {
  route: ProxyRoute;
  path: string;
  /** The request URL, parsed once by the caller. */
  url: URL;
}

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

/** The audit note, if sent: kept only when it passes the identifier rules. */
function auditNote(sent: string | null): { text: string | null; problem: string | null } {
  if (sent === null) return NO_NOTE;
  const text = headerText(sent);
  const problem = text === null ? null : textProblem(text, AUDIT_NOTE);
  // A refused note is not kept: the record says the request was refused, not what it said.
  return { text: problem ? null : text, problem };
}

function operationOf(route: ProxyRoute, method: string, path: string, query: string): Operation {
  return route.operations?.resolve({ method, path, query }) ??
    { id: `${route.provider}.unknown`, class: classFromMethod(method) };
}

/**
 * The pipeline: shape → caller → Exchange → request filters → credential →
 * authorized filters → forward → response filters → completion, once.
 * `clientAddress` is the caller's address as the edge counts it.
 */
export async function handleProxy(
  deps: ProxyDeps,
  req: Request,
  target: ProxyTarget,
  clientAddress = "unknown",
  known?: KnownCaller,
): Promise<Response> {
  const { route, url } = target;
  const sent = readSentHeaders(req.headers);
  const note = auditNote(sent.note);
  const method = judgedMethod(route, req.method, sent);
  const call: CallRecord = {
    started: deps.now(),
    requestId: known?.requestId ?? (deps.requestIds ?? isolateRequestIds())(),
    clientRequestId: clientRequestId(sent.clientRequestId),
    route,
    method: req.method,
    path: auditPath(target.path, url.search),
    note: note.text,
    clientAddress,
    operation: operationOf(route, method, target.path, url.search),
    caller: null,
    exchange: null,
    upstreamMs: null,
  };
  if (known) {
    call.via = known.via;
    call.tool = known.tool;
  }
  let requestBody: PeekableBody | null = null;
  try {
    checkRequestShape(deps, sent, url);
    checkMethodOverride(route, req.method, sent);
    if (deps.audit?.backlogged) throw proxyErrors.auditBacklog();
    // Before the caller checks: a provider that cannot be used answers alike for everyone.
    const ready = route.ready?.();
    if (ready) await ready;
    let caller: Caller;
    if (known) {
      caller = {
        app: known.app,
        agentId: known.agentId,
        entityId: known.entityId,
        connection: await deps.callers.usable(known.app, known.entityId, route.provider),
      };
    } else {
      // Awaited only when something was not cached: a cached caller costs no microtask.
      const resolved = deps.callers.resolve(sent, route.provider, clientAddress);
      caller = resolved instanceof Promise ? await resolved : resolved;
    }
    call.caller = caller;
    if (note.problem) throw proxyErrors.invalidHeader("x-securix-audit-note", note.problem);
    // Validates the path before any filter reasons about it.
    const pathOptions = route.encodedSlashes === true ? ENCODED_SLASHES : PLAIN_SLASHES;
    let upstream = upstreamUrl(route.baseUrl, target.path, url.search, pathOptions);
    const counter: BodyCounter = { bytesIn: 0, sent: null };
    const stream = requestStream(deps, req, counter);
    requestBody = stream === null ? NO_BODY : new PeekableBody(stream, sent.contentEncoding);
    if (route.methodOverrideField !== undefined && req.method === "POST") {
      await checkFormOverride(
        route,
        sent,
        requestBody,
        deps.maxInspectBytes ?? DEFAULT_MAX_INSPECT_BYTES,
      );
    }
    const made = exchangeFor(
      deps,
      req,
      sent,
      method,
      target,
      caller,
      call.operation,
      requestBody,
      known?.via,
    );
    const ex = made instanceof Promise ? await made : made;
    call.exchange = ex;
    const filters = deps.filters?.() ?? NO_FILTERS;
    // Awaited only when a hook answered a promise: a call no filter concerns stays synchronous.
    const requested = runRequestFilters(filters, ex, requestBody);
    const engaged = requested instanceof Promise ? await requested : requested;
    // Awaited only on a miss: a cached credential costs no microtask.
    const cached = deps.credentials.get(caller.connection);
    let credential = cached instanceof Promise ? await cached : cached;
    // Only an engaged filter asks the provider (authorized and response hooks alike).
    const lookup = engaged.length > 0 ? providerLookup(deps, route, () => credential) : NO_LOOKUP;
    if (engaged.length > 0) await runAuthorizedFilters(engaged, ex, lookup);
    // A filter may have narrowed the query (hide): the URL is built again only then.
    if (ex.query !== url.search) {
      upstream = upstreamUrl(route.baseUrl, ex.path, ex.query, pathOptions);
    }
    if (sent.upgrade?.toLowerCase() === "websocket") {
      return upgrade(deps, call, req, sent, upstream, credential);
    }
    // Before forward(): hashing a small body reads it, and forward() then replays it.
    const payloadHash = route.signsPayload
      ? await signedPayloadHash(requestBody, sent.contentLength, deps.maxInspectBytes)
      : undefined;
    const forwarded = requestBody.forward();
    const body = forwarded instanceof Uint8Array ? ReadableStream.from([forwarded]) : forwarded;
    const t0 = deps.now();
    const inspected = ex.readsAnswer;
    let response = await send(
      deps,
      req.method,
      sent,
      route,
      upstream,
      credential,
      body,
      counter.sent?.promise,
      inspected,
      payloadHash,
    );
    // Only a token set can be refreshed: an API key, password or SigV4 key answered 401 stands.
    const tokens = oauthTokens(credential);
    if (response.status === 401 && body === null && tokens !== null) {
      // The provider rejected a token we thought valid: refresh once and replay.
      // A token that was just issued is not the problem (a scope, say): the 401 stands.
      const fresh = await deps.credentials.get(caller.connection, tokens.accessToken);
      if (oauthTokens(fresh) !== null && oauthTokens(fresh)!.accessToken !== tokens.accessToken) {
        if (response.body instanceof ReadableStream) await response.body.cancel();
        credential = fresh;
        response = await send(
          deps,
          req.method,
          sent,
          route,
          upstream,
          credential,
          null,
          undefined,
          inspected,
          payloadHash,
        );
      }
    }
    call.upstreamMs = deps.now() - t0;
    const scrubber = route.credentialParam === undefined ? null : scrubberFor(route, credential);
    return await respond(deps, call, ex, engaged, response, lookup, counter, scrubber);
  } catch (error) {
    await requestBody?.discard();
    // A scan that ended the forwarded body is why the upstream call failed, whatever the transport says.
    return refuse(deps, call, requestBody?.refusal ?? error, known);
  }
}

const NO_FILTERS: readonly ProxyFilter[] = [];
const NO_NOTE = Object.freeze({ text: null, problem: null });
/** A call with no body to forward: nothing to read or replay, so one instance serves all. */
const NO_BODY = new PeekableBody(null);
/** For calls no filter is engaged in: nothing can call it. */
const NO_LOOKUP: Lookup = () => Promise.resolve(null);

/** The caller's body as counted on its way upstream; `sent` only when there is one. */
interface BodyCounter {
  bytesIn: number;
  sent: PromiseWithResolvers<void> | null;
}
// Shared, so a call allocates no options object for its path check.
const ENCODED_SLASHES = Object.freeze({ encodedSlashes: true });
const PLAIN_SLASHES = Object.freeze({ encodedSlashes: false });

/**
 * The value a `query_param` route's key was sent as (its template is
 * `{token}`): what a provider may echo back, so what its answer is searched for.
 */
function queryKey(route: ProxyRoute, credential: StoredCredential): string | null {
  return route.inject(credential, [], route.baseUrl).searchParams.get(route.credentialParam!);
}

/** Per cached credential (a credential belongs to one route): built once, not per call. */
const SCRUBBERS = new WeakMap<StoredCredential, SecretScrubber | null>();

function scrubberFor(route: ProxyRoute, credential: StoredCredential): SecretScrubber | null {
  let scrubber = SCRUBBERS.get(credential);
  if (scrubber === undefined) {
    const key = queryKey(route, credential);
    scrubber = key === null || key === "" ? null : new SecretScrubber(key);
    SCRUBBERS.set(credential, scrubber);
  }
  return scrubber;
}

/** Statuses a Response must have no body with (Fetch: null body status); the client framed 204/304. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** The caller's body, counted and capped; null for methods whose body is not forwarded. */
function requestStream(
  deps: ProxyDeps,
  req: Request,
  counter: BodyCounter,
): ReadableStream<Uint8Array> | null {
  if (bodyless(req.method) || req.body === null) return null;
  const sent = counter.sent = Promise.withResolvers<void>();
  return req.body.pipeThrough(countingStream(
    (n) => {
      counter.bytesIn = n;
      sent.resolve();
    },
    deps.maxRequestBytes,
    () => proxyErrors.bodyTooLarge(deps.maxRequestBytes),
  ));
}

/**
 * The call's Exchange; a promise only when the operation is read from the
 * body (GraphQL), so the usual call does not wait a microtask for it.
 */
function exchangeFor(
  deps: ProxyDeps,
  req: Request,
  sent: SentHeaders,
  method: string,
  target: ProxyTarget,
  caller: Caller,
  operation: Operation,
  body: PeekableBody,
  via: string | undefined,
): Exchange | Promise<Exchange> {
  const map = target.route.operations;
  if (map?.peekBytes && map.resolveBody) {
    const shape = { method, path: target.path, query: target.url.search };
    if (map.wantsBody?.(shape) ?? true) {
      return peekOperation(map, shape, body, sent).then((peeked) =>
        new RequestExchange(deps.now(), method, target, req, caller, peeked, sent.strict, via)
      );
    }
  }
  return new RequestExchange(deps.now(), method, target, req, caller, operation, sent.strict, via);
}

/** The operation in the body (GraphQL): a bounded peek, replayed upstream. */
async function peekOperation(
  map: OperationMap,
  shape: CallShape,
  body: PeekableBody,
  sent: SentHeaders,
): Promise<Operation> {
  const peeked = await body.inspect(map.peekBytes!);
  const operation = map.resolveBody!(
    shape,
    peeked === "too_large" ? null : peeked,
    sent.contentType,
  );
  return peeked === "too_large" ? { ...operation, multiplexed: true } : operation;
}

/**
 * The Exchange of a request. A class rather than an object literal: the
 * `signal` getter is then one function on the prototype, not a closure and
 * an accessor built per call.
 */
class RequestExchange implements Exchange {
  readonly requestHeaders: Headers;
  decision: Decision = "allowed";
  rules: string[] = [];
  notes: Record<string, unknown> = {};
  readsAnswer = false;
  // Declared, so a limited call's Exchange keeps the same shape as any other.
  answerHeaders: HeaderPairs | undefined = undefined;

  readonly route: ProxyRoute;
  readonly path: string;
  query: string;
  readonly #req: Request;

  constructor(
    readonly started: number,
    readonly method: string,
    target: ProxyTarget,
    req: Request,
    readonly caller: Caller,
    public operation: Operation,
    readonly strict: boolean,
    readonly via: string | undefined,
  ) {
    this.route = target.route;
    this.path = target.path;
    this.query = target.url.search;
    this.requestHeaders = req.headers;
    this.#req = req;
  }

  // Read only by a filter that holds the call (an approval wait): touching
  // Deno.serve's request.signal otherwise prints a deprecation warning per process.
  get signal(): AbortSignal {
    return this.#req.signal;
  }
}

function upgrade(
  deps: ProxyDeps,
  call: CallRecord,
  req: Request,
  sent: SentHeaders,
  upstream: URL,
  credential: StoredCredential,
): Response {
  const { route } = call;
  if (!route.websocket) {
    throw proxyErrors.badTarget(`${route.provider} does not accept WebSocket upgrades`);
  }
  if (route.credentialParam !== undefined) {
    // The key rides in the upgrade's query, and a provider may echo it in a message or a
    // close reason, which the bridge relays unsearched (answers are searched: respond()).
    throw proxyErrors.badTarget(
      `${route.provider} sends its key in the query: WebSocket upgrades are not proxied for it`,
    );
  }
  const protocols = (sent.webSocketProtocol ?? "").split(",")
    .map((p) => p.trim()).filter(Boolean);
  const response = bridgeWebSocket({
    req,
    route,
    upstreamUrl: upstream,
    credential,
    protocols,
    upstreamTimeoutMs: deps.upstreamTimeoutMs,
  });
  response.headers.set(REQUEST_ID_HEADER, call.requestId);
  complete(deps, call, { status: 101, error: null, bytesIn: 0, bytesOut: 0 });
  return response;
}

/** The provider's answer, through the response filters, to the caller; completion once. */
async function respond(
  deps: ProxyDeps,
  call: CallRecord,
  ex: Exchange,
  filters: readonly ProxyFilter[],
  response: UpstreamResponse,
  lookup: Lookup,
  counter: { bytesIn: number },
  scrubber: SecretScrubber | null = null,
): Promise<Response> {
  const pairs = downstreamResponsePairs(response.headers, response.decoded);
  // A key sent in the query: the provider may echo the URL it was sent anywhere in its
  // answer (a next-page URL, an error quoting the request), so all of it is searched.
  if (call.route.credentialParam !== undefined) withoutUrlParam(pairs, call.route.credentialParam);
  scrubber?.pairs(pairs);
  if (ex.answerHeaders !== undefined) addAnswerHeaders(pairs, ex.answerHeaders);
  // Ours, not the provider's: a provider's field of that name is replaced.
  setPair(pairs, REQUEST_ID_HEADER, call.requestId);
  // Built only when a response filter looks at them: pairs are cheaper.
  let headers: Headers | null = null;
  const { status } = response;
  const statusText = scrubber === null ? response.statusText : scrubber.text(response.statusText);
  const done = (bytesOut: number) =>
    complete(deps, call, { status, error: null, bytesIn: counter.bytesIn, bytesOut });
  let body: ReadableStream<Uint8Array> | Uint8Array | null = response.body;
  if (body !== null && NULL_BODY_STATUSES.has(status)) {
    // 205 is framed by its headers (Content-Length: 0), but a Response may carry no body.
    if (body instanceof ReadableStream) await body.cancel().catch(() => {});
    body = null;
  }
  if (scrubber !== null && body !== null && !response.decoded) {
    // Asked for identity (forward.ts); a compressed answer cannot be searched for the key.
    const coding = pairValue(response.headers, "content-encoding");
    if (!identityCoded(coding)) {
      if (body instanceof ReadableStream) await body.cancel().catch(() => {});
      throw proxyErrors.answerCompressed(call.route.provider, coding ?? "");
    }
  }
  let init: HeaderPairs | Headers = pairs;
  if (body !== null && hasResponseFilters(filters)) {
    const filtered = await runResponseFilters(
      filters,
      ex,
      {
        status,
        get headers() {
          return headers ??= downstreamHeaders(pairs, call.route.provider);
        },
        contentType: pairValue(response.headers, "content-type"),
        contentEncoding: response.decoded
          ? ""
          : (pairValue(response.headers, "content-encoding") ?? ""),
        readBody: () => Promise.resolve(null),
        body: new PeekableBody(body),
      },
      lookup,
      (b) => new PeekableBody(b),
    );
    body = filtered.body.forward();
    if (filtered.rewritten) {
      headers ??= downstreamHeaders(pairs, call.route.provider);
      headers.delete("content-length");
      headers.delete("content-encoding");
      if (body instanceof Uint8Array) headers.set("content-length", String(body.byteLength));
    }
    if (headers !== null) init = headers;
  }
  // Last, so a filter's rewritten body is searched too.
  if (scrubber !== null && body !== null) body = scrubbed(scrubber, body, init);
  if (body === null) {
    const answer = downstreamResponse(null, status, undefined, init, call.route.provider);
    done(0);
    return answer;
  }
  // The length sent downstream (a transport that decoded a gzip body dropped it).
  const declared = init instanceof Headers
    ? init.get("content-length")
    : pairValue(init, "content-length");
  if (body instanceof Uint8Array || (declared !== null && /^\d+$/.test(declared))) {
    // Known length: no per-chunk counting stream on the hot path.
    const answer = downstreamResponse(body, status, statusText, init, call.route.provider);
    done(body instanceof Uint8Array ? body.byteLength : Number(declared));
    return answer;
  }
  const counted = body.pipeThrough(countingStream((bytesOut) => done(bytesOut)));
  return downstreamResponse(counted, status, statusText, init, call.route.provider);
}

/**
 * The body with every form of the key replaced, and its framing to match: a
 * small body read whole gets its new length, a stream is scanned as it goes
 * (no length: it is sent chunked).
 */
function scrubbed(
  scrubber: SecretScrubber,
  body: ReadableStream<Uint8Array> | Uint8Array,
  init: HeaderPairs | Headers,
): ReadableStream<Uint8Array> | Uint8Array {
  let length: string | null = null;
  if (body instanceof Uint8Array) {
    const out = scrubber.bytes(body);
    if (out === body) return body;
    body = out;
    length = String(out.byteLength);
  } else {
    body = body.pipeThrough(scrubber.stream());
  }
  if (init instanceof Headers) {
    if (length === null) init.delete("content-length");
    else init.set("content-length", length);
  } else if (length === null) removePairs(init, "content-length");
  else setPair(init, "content-length", length);
  return body;
}

/**
 * A filter's fields on the answer, replacing the provider's of the same name:
 * a provider's `RateLimit` describes its quota for the appliance's token, not
 * the agent's quota at Securix, which is what is enforced on this call
 * (its `X-RateLimit-*` fields, another name, pass untouched).
 */
function addAnswerHeaders(pairs: HeaderPairs, added: HeaderPairs): void {
  for (const [name] of added) removePairs(pairs, name);
  for (const pair of added) pairs.push(pair);
}

/**
 * The answer's headers as `Headers`. A field the transport passed that
 * `Headers` refuses is a broken provider: answered as unreachable.
 */
function downstreamHeaders(pairs: HeaderPairs, provider: string): Headers {
  try {
    return new Headers(pairs);
  } catch {
    throw proxyErrors.upstreamUnreachable(provider);
  }
}

function downstreamResponse(
  body: BodyInit | Uint8Array | null,
  status: number,
  statusText: string | undefined,
  headers: HeaderPairs | Headers,
  provider: string,
): Response {
  try {
    if (headers instanceof Headers) {
      return new Response(body as BodyInit | null, { status, statusText, headers });
    }
    // Appended after construction: the same checks as pairs in the init,
    // at a third of the cost (the init's pairs are converted twice).
    const response = new Response(body as BodyInit | null, { status, statusText });
    const into = response.headers;
    for (let i = 0; i < headers.length; i++) into.append(headers[i][0], headers[i][1]);
    return response;
  } catch (error) {
    if (body instanceof ReadableStream) void body.cancel().catch(() => {});
    if (!(headers instanceof Headers)) downstreamHeaders(headers, provider);
    throw error;
  }
}

function refuse(
  deps: ProxyDeps,
  call: CallRecord,
  error: unknown,
  known?: KnownCaller,
): Response {
  const denied = error instanceof Denied ? error : null;
  const sx = denied ? denied.error : clientError(deps, error, call.requestId);
  if (sx instanceof AgentMismatch) {
    call.mismatch = { appId: sx.appId, agentId: sx.boundAgentId, sentAgentId: sx.sentAgentId };
  } else if (sx instanceof MalformedForeignAgentId) {
    call.mismatch = { appId: sx.appId, agentId: sx.boundAgentId, sentAgentId: null };
  }
  known?.onRefused?.(sx);
  if (sx.code === "SX-TOKEN-EXPIRED" && call.caller) {
    deps.callers.forgetConnection(call.caller.connection);
  }
  complete(deps, call, { status: sx.status, error: sx.code, bytesIn: 0, bytesOut: 0 });
  // A limit admitted the call before a later stage refused it: the token is spent, so the
  // quota goes out on the refusal too (a 429's own fields take precedence).
  return errorResponse(sx, call.exchange?.answerHeaders, call.requestId);
}

/**
 * What the caller sees: our typed refusals and the provider's failures as
 * they are; anything else (an unexpected error, or a 5xx of ours such as a
 * vault that cannot decrypt) is reported to the operator and answered with
 * SX-UNAVAILABLE, so no internal detail reaches an app.
 */
function clientError(deps: ProxyDeps, error: unknown, requestId: string): SecurixError {
  const ours = error instanceof SecurixError && error.status >= 500 &&
    !ANSWERED_AS_IS.has(error.code);
  if (error instanceof SecurixError && !ours) return error;
  deps.onInternalError?.(error, requestId);
  return proxyErrors.unavailable();
}
