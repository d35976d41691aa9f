import type { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "./exchange.ts";

/** A filter's answer: go on, or refuse the call with a typed error (and the rule that said so). */
export type Verdict =
  /**
   * `done`: the filter has nothing more to do for this call, so its later
   * hooks are skipped (a call no rule concerns keeps the plain path).
   */
  | { action: "continue"; done?: boolean }
  | { action: "deny"; error: SecurixError; rule: string | null };

export const CONTINUE: Verdict = Object.freeze({ action: "continue" });
export const DONE: Verdict = Object.freeze({ action: "continue", done: true });

/**
 * Reads at most `limit` bytes of a body. `"too_large"` when there is more
 * (what was read is kept and still sent on), null when there is no body.
 * Reading is what buffers: a filter that never reads keeps the stream zero-copy.
 */
export type BodyReader = (limit: number) => Promise<Uint8Array | "too_large" | null>;

/**
 * An authenticated GET on the same provider with the call's credential
 * (e.g. Drive `files/{id}?fields=parents` to know a file's folders). Answers
 * the parsed JSON, or null when the provider did not answer 200 with JSON.
 */
export type Lookup = (pathAndQuery: string) => Promise<unknown | null>;

/** The provider's answer, as a response filter sees it before anything went downstream. */
export interface Answer {
  readonly status: number;
  /** The headers that will go downstream; a filter may change them. */
  readonly headers: Headers;
  readonly contentType: string | null;
  /** The provider's Content-Encoding ("" when none, or already decoded). */
  readonly contentEncoding: string;
  readBody: BodyReader;
}

export type ResponseVerdict =
  | Verdict
  /** Send these bytes instead of the provider's body (Content-Length is set for them). */
  | { action: "replace"; body: Uint8Array }
  /** Rewrite the body as it streams. */
  | { action: "transform"; stream: TransformStream<Uint8Array, Uint8Array> };

/**
 * One stage of the proxy pipeline (like an Envoy filter). Every hook is
 * optional; a filter with no response hook leaves the zero-copy path alone.
 */
export interface ProxyFilter {
  readonly name: string;
  /** Before any credential is loaded: a deny here never touches the vault. */
  request?(ex: Exchange, body: BodyReader): Verdict | Promise<Verdict>;
  /** With the credential loaded, before forwarding: may ask the provider. */
  authorized?(ex: Exchange, lookup: Lookup): Verdict | Promise<Verdict>;
  /** Once the provider answered, before its status reaches the caller. */
  response?(
    ex: Exchange,
    answer: Answer,
    lookup: Lookup,
  ): ResponseVerdict | Promise<ResponseVerdict>;
}
