import http from "node:http";
import https from "node:https";
import type { UpstreamRequest, UpstreamResponse, UpstreamTransport } from "./upstream_transport.ts";

/** Answers that never have a body, whatever their headers say (RFC 9110 §6.4.1). */
const NO_BODY_STATUS = new Set([204, 205, 304]);

/** A pooled connection the provider closed while idle: safe to retry a bodyless request once. */
const STALE_SOCKET = new Set(["ECONNRESET", "EPIPE"]);

/** Largest answer with a declared length that is read whole instead of streamed. */
const SMALL_BODY = 64 * 1024;

/** Bytes of a provider's answer held before its socket is paused. */
const RESPONSE_BUFFER = 64 * 1024;

/**
 * The upstream transport: node:http / node:https, which in Deno is an
 * HTTP/1.1 client of its own. Unlike Deno's fetch it writes the headers it is
 * given and nothing else (Host and `Connection: keep-alive` aside), frames the
 * body by the given `content-length` (or chunked without one), and hands back
 * the body as the provider sent it: compressed answers pass through untouched.
 * Connections are kept alive per origin.
 */
export function httpTransport(): UpstreamTransport {
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  };
  const forward = (request: UpstreamRequest, retried = false): Promise<UpstreamResponse> =>
    new Promise((resolve, reject) => {
      const { url, method, body, signal } = request;
      const secure = url.protocol === "https:";
      const outgoing: Record<string, string> = { host: url.host };
      for (const [name, value] of request.headers) outgoing[name] = value;
      const client = (secure ? https : http).request({
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port || (secure ? 443 : 80),
        path: url.pathname + url.search,
        method,
        headers: outgoing,
        agent: secure ? agents["https:"] : agents["http:"],
      });
      // Deno's node:http resends a request whose reused connection closes
      // before an answer, body included, and even when we destroyed it (a
      // timeout would then never end it). Only a bodyless request is retried,
      // below, and only for a stale connection.
      (client as unknown as { _retrying: boolean })._retrying = true;
      const onAbort = () => client.destroy(new Error("upstream request aborted"));
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
      let answered = false;
      client.on("error", (error: Error & { code?: string }) => {
        signal.removeEventListener("abort", onAbort);
        if (answered) return;
        if (
          !retried && body === null && client.reusedSocket && !signal.aborted &&
          STALE_SOCKET.has(error.code ?? "")
        ) {
          forward(request, true).then(resolve, reject);
          return;
        }
        reject(error);
      });
      client.on("response", (res: http.IncomingMessage) => {
        answered = true;
        signal.removeEventListener("abort", onAbort);
        const headers = new Headers();
        const raw = res.rawHeaders;
        try {
          for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
        } catch (error) {
          // A header llhttp let through but fetch's rules refuse: a broken
          // provider, answered as unreachable, never an uncaught throw here.
          res.destroy();
          reject(error);
          return;
        }
        // Validated as Headers above; passed on as pairs like every transport's.
        const pairs = [...headers];
        const status = res.statusCode ?? 502;
        const statusText = res.statusMessage ?? "";
        const bodyless = method === "HEAD" || NO_BODY_STATUS.has(status);
        if (bodyless) {
          res.resume();
          resolve({ status, statusText, headers: pairs, body: null, decoded: false });
          return;
        }
        const length = Number(res.headers["content-length"] ?? NaN);
        if (length <= SMALL_BODY) {
          // A few KB with a declared length: read whole and handed over as
          // bytes, which costs the serving thread far less than a stream per
          // answer (most API answers are this size). Still under the timeout.
          smallBody(res, length).then(
            (bytes) => resolve({ status, statusText, headers: pairs, body: bytes, decoded: false }),
            reject,
          );
          return;
        }
        resolve({ status, statusText, headers: pairs, body: responseBody(res), decoded: false });
      });
      if (body === null) client.end();
      else void sendBody(body, client);
    });
  return {
    forward: (request) => forward(request),
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}

/**
 * Writes the caller's body as it arrives, at the provider's pace (never
 * buffered). A failing body (too large, caller gone) ends the upstream
 * request with that error.
 */
async function sendBody(body: ReadableStream<Uint8Array>, client: http.ClientRequest) {
  const reader = body.getReader();
  try {
    while (!client.destroyed) {
      const { done, value } = await reader.read();
      if (done) {
        client.end();
        return;
      }
      if (!client.write(value)) await drained(client);
    }
    await reader.cancel();
  } catch (error) {
    client.destroy(error instanceof Error ? error : new Error(String(error)));
    await reader.cancel(error).catch(() => {});
  }
}

function drained(client: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      client.off("drain", done);
      client.off("close", done);
      resolve();
    };
    client.on("drain", done);
    client.on("close", done);
  });
}

/** The provider's body as a web stream, paused while the caller is not reading. */
function responseBody(res: http.IncomingMessage): ReadableStream<Uint8Array> {
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      res.on("data", (chunk: Uint8Array) => {
        if (closed) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) {
          res.pause();
          // Deno's node:http keeps reading a Content-Length body off the
          // socket while the message is paused (measured: +50–100 MB for a
          // 200 MB download to a slow caller): pause the socket itself.
          res.socket?.pause();
        }
      });
      res.on("end", () => {
        if (closed) return;
        closed = true;
        controller.close();
      });
      res.on("close", () => {
        if (closed) return;
        closed = true;
        // The connection ended before the body did: the caller must not take it as whole.
        controller.error(new Error("the provider's connection closed mid-body"));
      });
      res.on("error", () => {}); // Reported through "close".
    },
    pull() {
      res.socket?.resume();
      res.resume();
    },
    cancel() {
      closed = true;
      res.destroy();
    },
  }, { highWaterMark: RESPONSE_BUFFER, size: (chunk) => chunk.byteLength });
}

/** Exactly `length` bytes of body, or an error if the connection ends first. */
function smallBody(res: http.IncomingMessage, length: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const bytes = new Uint8Array(length);
    let filled = 0;
    res.on("data", (chunk: Uint8Array) => {
      if (filled + chunk.byteLength > length) return; // The parser never gives more.
      bytes.set(chunk, filled);
      filled += chunk.byteLength;
    });
    res.on("end", () => {
      if (filled === length) resolve(bytes);
      else reject(new Error("the provider's connection closed mid-body"));
    });
    res.on("close", () => reject(new Error("the provider's connection closed mid-body")));
    res.on("error", () => {}); // Reported through "close".
  });
}
