import { proxyErrors } from "./proxy_errors.ts";

function headerBytes(headers: Headers): number {
  let n = 0;
  for (const [name, value] of headers) n += name.length + value.length + 4;
  return n;
}

/**
 * Refusals that need no caller: oversized heads and bodies, ambiguous
 * framing, absolute-form targets. Runs before the API key is looked at.
 */
export function checkRequestShape(
  limits: { maxHeaderBytes: number; maxRequestBytes: number },
  req: Request,
  url: URL,
): void {
  if (headerBytes(req.headers) > limits.maxHeaderBytes) throw proxyErrors.headersTooLarge();
  if (req.headers.has("content-length") && req.headers.has("transfer-encoding")) {
    throw proxyErrors.badTarget("both Content-Length and Transfer-Encoding are set");
  }
  const host = (req.headers.get("host") ?? "").toLowerCase();
  if (host && url.host.toLowerCase() !== host) {
    throw proxyErrors.badTarget("absolute-form request targets are not accepted");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limits.maxRequestBytes) throw proxyErrors.bodyTooLarge(limits.maxRequestBytes);
}
