import http from "node:http";
import https from "node:https";

/**
 * One webhook POST to an address that was already checked. fetch() resolves
 * the name again when it connects, and that second answer may differ from
 * the one the policy judged (DNS rebinding); so this sends through node:http
 * (the HTTP/1.1 client the proxy uses too) with a `lookup` that answers only
 * the checked addresses, keeping the URL's host in Host and in TLS SNI and
 * certificate verification.
 */

export interface PinnedRequest {
  url: URL;
  /** Checked addresses, tried in order while connecting fails. */
  addresses: string[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Extra trust anchors (PEM); tests use them for a local TLS receiver. */
  caCerts?: string[];
}

/** Sends a webhook, answers the receiver's status code. */
export type WebhookSender = (request: PinnedRequest) => Promise<number>;

/** Status line and headers of an answer; the body is never read. */
const MAX_HEAD_BYTES = 16 * 1024;

function timeoutError(): Error {
  return new DOMException("receiver timed out", "TimeoutError");
}

type LookupCallback = (
  error: Error | null,
  address: string | { address: string; family: number }[],
  family?: number,
) => void;

/** The default sender: HTTP/1.1 to a checked address, no redirects followed, the body never read. */
export const pinnedPost: WebhookSender = (request) =>
  new Promise((resolve, reject) => {
    const { url } = request;
    const secure = url.protocol === "https:";
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const pinned = request.addresses.map((a) => {
      const address = a.replace(/^\[|\]$/g, "");
      return { address, family: address.includes(":") ? 6 : 4 };
    });
    const body = new TextEncoder().encode(request.body);
    const signal = AbortSignal.timeout(request.timeoutMs);
    const client = (secure ? https : http).request({
      hostname,
      port: url.port || (secure ? 443 : 80),
      path: `${url.pathname || "/"}${url.search}`,
      method: "POST",
      headers: {
        host: url.host,
        ...request.headers,
        "content-length": String(body.length),
        connection: "close",
      },
      agent: false,
      maxHeaderSize: MAX_HEAD_BYTES,
      ca: request.caCerts,
      lookup: (_host: string, options: { all?: boolean }, callback: LookupCallback) => {
        if (pinned.length === 0) callback(new Error("no address to connect to"), "");
        else if (options.all) callback(null, pinned);
        else callback(null, pinned[0].address, pinned[0].family);
      },
    } as https.RequestOptions);
    const onAbort = () => client.destroy(timeoutError());
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal.removeEventListener("abort", onAbort);
    client.on("error", (error: Error) => {
      settle();
      reject(signal.aborted ? timeoutError() : error);
    });
    client.on("response", (res: http.IncomingMessage) => {
      settle();
      res.destroy();
      client.destroy();
      resolve(res.statusCode ?? 0);
    });
    client.end(body);
  });
