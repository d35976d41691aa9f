import type { AuditWriter } from "../audit/audit_writer.ts";
import type { Operation } from "../providers/operation.ts";
import type { Caller } from "./caller_identity.ts";
import type { Exchange } from "./exchange.ts";
import type { ProxyRoute } from "./proxy_route.ts";

/**
 * Refusals of callers that never showed a valid key: counted per client
 * address and minute in one `auth.failed` summary (see KeyAuthenticator),
 * not a chained record each, so a flood cannot fill the audit log.
 */
const UNAUTHENTICATED = new Set(["SX-API-KEY-MISSING", "SX-API-KEY-INVALID", "SX-AUTH-LOCKOUT"]);
/** Refusals of `checkRequestShape`, which runs before the key is looked at. */
const BEFORE_AUTH = new Set(["SX-BAD-REQUEST-TARGET", "SX-HEADERS-TOO-LARGE", "SX-BODY-TOO-LARGE"]);

export interface CompletionDeps {
  audit: AuditWriter | null;
  now: () => number;
  /** Metrics: one call per proxied request, with its total and upstream times. */
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
  /**
   * Every call of a known caller once it ended, refused ones too (the
   * security engine's detectors count them). Runs on the hot path: count in
   * memory, never await.
   */
  onComplete?: (call: CallRecord, outcome: Outcome) => void;
}

/** What the pipeline knew of the call when it ended. */
export interface CallRecord {
  started: number;
  /** The `securix-request-id` the caller got; the audit record's `requestId`. */
  requestId: string;
  /** The caller's own `x-request-id`, when valid (clientRequestId): kept beside ours, never as it. */
  clientRequestId: string | null;
  route: ProxyRoute;
  method: string;
  /** As `auditPath` writes it: query parameter names, never values. */
  path: string;
  note: string | null;
  clientAddress: string;
  operation: Operation;
  caller: Caller | null;
  exchange: Exchange | null;
  upstreamMs: number | null;
  /**
   * A bound key that named another agent (SX-AGENT-MISMATCH, or SX-INVALID-INPUT
   * for an id in a bad shape): no caller was resolved, yet the record names the
   * key's app and agent, and the id claimed (null: malformed, so not copied).
   */
  mismatch?: { appId: string; agentId: string; sentAgentId: string | null };
  /** The front door when not the proxy's own (`mcp`), and the tool called there. */
  via?: string;
  tool?: string;
}

export interface Outcome {
  status: number;
  /** The SX code of a refusal; null for an answer that came from the provider. */
  error: string | null;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Metrics and one audit record per call, once (the caller of this makes sure
 * it runs once). Unauthenticated refusals become per-address summaries and
 * backlog refusals are not queued, so neither can grow the log.
 */
export function complete(deps: CompletionDeps, call: CallRecord, outcome: Outcome): void {
  const { status, error } = outcome;
  deps.onRequest?.(call.route.provider, status, deps.now() - call.started, call.upstreamMs);
  if (error === "SX-AUDIT-BACKLOG") return;
  if (error !== null && call.caller === null) {
    if (UNAUTHENTICATED.has(error)) return;
    // With no caller these codes can only come from the shape check, before the key.
    if (BEFORE_AUTH.has(error)) {
      deps.onRefusedUnauthenticated?.(
        call.clientAddress,
        error.slice(3).toLowerCase().replaceAll("-", "_"),
      );
      return;
    }
  }
  if (call.caller !== null) deps.onComplete?.(call, outcome);
  deps.audit?.record({
    kind: "proxy.request",
    at: call.started,
    appId: call.caller?.app.id ?? call.mismatch?.appId ?? null,
    agentId: call.caller?.agentId ?? call.mismatch?.agentId ?? null,
    entityId: call.caller?.entityId ?? null,
    provider: call.route.provider,
    data: recordData(deps, call, outcome),
  });
}

/**
 * Keys in sorted order, nested ones too: the audit thread hashes
 * JSON.stringify as is. Assigned one by one in that order rather than spread
 * from conditional objects, which cost several allocations per request.
 */
function recordData(deps: CompletionDeps, call: CallRecord, outcome: Outcome) {
  const ex = call.exchange;
  const operation = ex?.operation ?? call.operation;
  const data: Record<string, unknown> = {
    bytesIn: outcome.bytesIn,
    bytesOut: outcome.bytesOut,
    class: operation.class,
  };
  if (call.clientRequestId !== null) data.clientRequestId = call.clientRequestId;
  data.decision = outcome.error !== null && ex?.decision !== "hidden"
    ? "denied"
    : (ex?.decision ?? "allowed");
  data.durationMs = deps.now() - call.started;
  if (outcome.error !== null) data.error = outcome.error;
  data.host = call.route.host;
  data.method = call.method;
  data.note = call.note;
  if (ex && hasKeys(ex.notes)) data.notes = sorted(ex.notes);
  data.operation = operation.id;
  data.path = call.path;
  data.requestId = call.requestId;
  if (ex && ex.rules.length > 0) data.rules = [...ex.rules];
  if (call.mismatch?.sentAgentId) data.sentAgentId = call.mismatch.sentAgentId;
  data.status = outcome.status;
  if (call.tool !== undefined) data.tool = call.tool;
  if (call.via !== undefined) data.via = call.via;
  return data;
}

function hasKeys(value: Record<string, unknown>): boolean {
  for (const _ in value) return true;
  return false;
}

function sorted(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = value[key];
    out[key] = v !== null && typeof v === "object" && !Array.isArray(v)
      ? sorted(v as Record<string, unknown>)
      : v;
  }
  return out;
}
