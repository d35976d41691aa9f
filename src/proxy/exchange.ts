import type { BatchCalls } from "../providers/batch_calls.ts";
import type { Operation } from "../providers/operation.ts";
import type { Caller } from "./caller_identity.ts";
import type { HeaderPairs } from "./header_pairs.ts";
import type { ProxyRoute } from "./proxy_route.ts";

/** What happened to a call, as its audit record says. */
export type Decision = "allowed" | "denied" | "redacted" | "hidden";

/**
 * One proxied call as the pipeline's filters see it: built once the caller
 * is known, changed only by filters, read by completion (metrics + audit).
 */
export interface Exchange {
  readonly started: number;
  readonly route: ProxyRoute;
  readonly method: string;
  /** The path as sent (after the `/proxy/<name>` prefix), never dot-resolved. */
  readonly path: string;
  /** The query string with its `?`, or "". A filter may narrow it (hide → Gmail `q`). */
  query: string;
  readonly requestHeaders: Headers;
  readonly caller: Caller;
  operation: Operation;
  decision: Decision;
  /** Names of the rules that matched and acted, in evaluation order. */
  rules: string[];
  /**
   * Counts and flags for the audit record (redactions by kind, `redaction:
   * "skipped"`, hidden items); never a matched value.
   */
  notes: Record<string, unknown>;
  /** Aborted when the caller goes away (a filter that holds the call, e.g. an approval wait, stops). */
  readonly signal: AbortSignal;
  /** The caller asked for strict mode (`X-SecuriX-Strict-Mode: true`). */
  readonly strict: boolean;
  /**
   * The front door when another one made the call (`mcp`: a tool call, which
   * can send no securix-* header); undefined for a proxied request.
   */
  readonly via?: string;
  /**
   * A filter will read the answer (redaction, hiding): the provider is then
   * asked for an uncompressed one, since the proxy decodes nothing.
   */
  readsAnswer: boolean;
  /**
   * Fields a request filter adds to the provider's answer (the limit rules'
   * `RateLimit-Policy` / `RateLimit`), replacing fields of the same names.
   * Undefined on calls no such filter touched, so they pay nothing.
   */
  answerHeaders?: HeaderPairs;
  /**
   * A counted batch (Google `/batch`, Graph `$batch`, Gmail `batchDelete`,
   * Dropbox `delete_batch`; batch_calls.ts): the calls its body carries, once
   * a filter counted them (exchange_batch.ts); null when they cannot be counted.
   */
  batch?: BatchCalls | null;
}
