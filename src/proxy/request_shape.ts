import { proxyErrors } from "./proxy_errors.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import type { SentHeaders } from "./sent_headers.ts";

/**
 * Refusals that need no caller: oversized heads and bodies, ambiguous
 * framing or method overrides, absolute-form targets. Runs before the API key is looked at.
 */
export function checkRequestShape(
  limits: { maxHeaderBytes: number; maxRequestBytes: number },
  sent: SentHeaders,
  url: URL,
): void {
  if (sent.bytes > limits.maxHeaderBytes) throw proxyErrors.headersTooLarge();
  if (sent.contentLength !== null && sent.transferEncoding !== null) {
    throw proxyErrors.badTarget("both Content-Length and Transfer-Encoding are set");
  }
  if (sent.methodOverrideConflict) {
    // Name the headers that disagree (or the one listing several methods), not a fixed one.
    const names = sent.methodOverrideHeaders ?? [];
    throw proxyErrors.invalidHeader(
      names.join(", "),
      names.length > 1
        ? "the method override headers name different methods; send one method"
        : "the method override header names several methods; send one method",
    );
  }
  const host = (sent.host ?? "").toLowerCase();
  if (host && url.host.toLowerCase() !== host) {
    throw proxyErrors.badTarget("absolute-form request targets are not accepted");
  }
  const declared = Number(sent.contentLength ?? "0");
  if (declared > limits.maxRequestBytes) throw proxyErrors.bodyTooLarge(limits.maxRequestBytes);
}

/** Methods a method override may name. */
const OVERRIDABLE = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/**
 * The method the provider will act on, which the rules judge: the override
 * header the route's provider honours, on a POST; otherwise the method sent
 * (every other override header is stripped before forwarding: `send`).
 */
export function judgedMethod(route: ProxyRoute, method: string, sent: SentHeaders): string {
  const honoured = route.methodOverride;
  if (honoured === undefined || method !== "POST" || sent.methodOverride === null) return method;
  // Conflicting overrides are refused, so the one kept names what any of them says.
  if (!sent.methodOverrideHeaders!.includes(honoured)) return method;
  return sent.methodOverride.trim().toUpperCase();
}

/**
 * Overrides the rules cannot judge as the provider will act: one listed in
 * Connection (dropped on this hop after being judged), or the honoured one
 * on another method than POST or naming no single known method.
 */
export function checkMethodOverride(route: ProxyRoute, method: string, sent: SentHeaders): void {
  const names = sent.methodOverrideHeaders;
  if (names === null) return;
  if (sent.methodOverrideListed) {
    throw proxyErrors.invalidHeader(
      "connection",
      "names a method override header; send the override without listing it in Connection",
    );
  }
  const honoured = route.methodOverride;
  if (honoured === undefined || !names.includes(honoured)) return;
  if (method !== "POST") {
    throw proxyErrors.invalidHeader(
      honoured,
      `${route.provider} honours it on a POST only; send the method itself`,
    );
  }
  const named = sent.methodOverride!.trim().toUpperCase();
  if (!OVERRIDABLE.has(named)) {
    throw proxyErrors.invalidHeader(
      honoured,
      "must name one method: GET, HEAD, POST, PUT, PATCH or DELETE",
    );
  }
  // Google reads a form body under an override to GET as more query parameters (its clients
  // do so for long URLs): parameters the rules, which see the URL, would never judge.
  const hasBody = sent.transferEncoding !== null ||
    (sent.contentLength !== null && sent.contentLength.trim() !== "0");
  if (PARAMETERS_ONLY.has(named) && hasBody) {
    throw proxyErrors.invalidHeader(
      honoured,
      `a ${named} carries its parameters in the URL; send them there, without a body`,
    );
  }
}

/** Methods whose override a provider may read a body of as query parameters. */
const PARAMETERS_ONLY = new Set(["GET", "HEAD", "DELETE"]);
