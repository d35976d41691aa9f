import { proxyErrors } from "./proxy_errors.ts";
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
