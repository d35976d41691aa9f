import type {
  UpstreamRequest,
  UpstreamResponse,
  UpstreamTransport,
} from "../upstream_transport.ts";
import { pairValue } from "../header_pairs.ts";
import { H1Error } from "./byte_reader.ts";
import { responseBody } from "./body_stream.ts";
import { writeChunked } from "./chunked_request.ts";
import { ConnectionPool, type PoolLimits } from "./connection_pool.ts";
import {
  concat,
  readSmallBody,
  type RequestFraming,
  requestFraming,
  SMALL_REQUEST_BODY,
  writeBody,
} from "./request_body.ts";
import { requestHead } from "./request_head.ts";
import { readResponseHead } from "./response_head.ts";
import { SocketReader } from "./socket_reader.ts";

export interface H1Options {
  /** Extra trusted roots (PEM) for TLS upstreams, on top of the system's. */
  caCerts?: string[];
  pool?: Partial<PoolLimits>;
  /** Opens the TCP connection (TLS starts on it); default Deno.connect. For tests. */
  connect?: (options: Deno.ConnectOptions & { signal: AbortSignal }) => Promise<Deno.TcpConn>;
}

/**
 * The proxy's own HTTP/1.1 client on Deno.connect / Deno.connectTls: writes
 * the request head from the given pairs (plus Host and keep-alive), keeps the
 * caller's body framing, parses the answer strictly (response_head.ts,
 * checked against llhttp), hands the body back as the provider sent it
 * (`decoded` is always false: gzip stays gzip), reads it off the socket only
 * as fast as the caller takes it, and pools the connection once the answer
 * was read whole. Anything malformed rejects and the socket is closed, never
 * reused; the signal's abort closes the socket.
 */
export function h1Transport(options: H1Options = {}): UpstreamTransport {
  const pool = new ConnectionPool(options.pool);
  const connect = options.connect ?? Deno.connect;

  const open = async (url: URL, signal: AbortSignal): Promise<SocketReader> => {
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const secure = url.protocol === "https:";
    const port = Number(url.port) || (secure ? 443 : 80);
    const tcp = await connect({ hostname, port, signal });
    // Deno leaves Nagle on: a write after a small one (a body after its head, a
    // chunked body's last chunk) would wait for an ACK the provider delays
    // (40 ms on Linux) while it waits for that very write.
    tcp.setNoDelay(true);
    if (!secure) return new SocketReader(tcp);
    // startTls takes no signal: an abort stops the wait, the late connection is closed.
    const connecting = Deno.startTls(tcp, { hostname, caCerts: options.caCerts });
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new H1Error("upstream request aborted"));
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return new SocketReader(await Promise.race([connecting, aborted]));
    } catch (error) {
      connecting.then((conn) => conn.close(), () => {});
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };

  const forward = async (request: UpstreamRequest): Promise<UpstreamResponse> => {
    const { url, signal } = request;
    const framing = request.body === null ? null : requestFraming(request.headers);
    // A small body with a length is read first and goes out in the head's write
    // (one system call, one wake-up of the provider), before a pooled socket is taken.
    const small = framing?.kind === "length" && framing.length <= SMALL_REQUEST_BODY
      ? await readSmallBody(request.body!, framing.length)
      : null;
    if (signal.aborted) throw new H1Error("upstream request aborted");
    const origin = `${url.protocol}//${url.host}`;
    let socket = pool.take(origin);
    let reused = socket !== null;
    for (;;) {
      socket ??= await open(url, signal);
      const before = socket.received;
      try {
        return await exchange(socket, origin, request, framing, small);
      } catch (error) {
        socket.close();
        if (signal.aborted) throw new H1Error("upstream request aborted", { cause: error });
        // A pooled connection the provider closed as we reused it, before an
        // answer byte: a bodyless idempotent request is sent again once, on a
        // new connection (RFC 9110 §9.2.2). A POST may have been acted on
        // (Slack's chat.postMessage?text=… has no body), so it is not.
        const again = reused && request.body === null && IDEMPOTENT.has(request.method) &&
          socket.received === before && stale(error);
        if (!again) {
          throw error;
        }
        socket = null;
        reused = false;
      }
    }
  };

  const exchange = async (
    socket: SocketReader,
    origin: string,
    { method, url, headers, body, signal }: UpstreamRequest,
    framing: RequestFraming | null,
    small: Uint8Array | null,
  ): Promise<UpstreamResponse> => {
    const declared = pairValue(headers, "content-length") !== null ||
      pairValue(headers, "transfer-encoding") !== null;
    const head = requestHead(
      method,
      url,
      headers,
      body !== null && !declared ? ["transfer-encoding", "chunked"] : null,
    );
    const onAbort = () => socket.close();
    signal.addEventListener("abort", onAbort, { once: true });
    let answered = false;
    let bodySent = body === null || small !== null;
    let sendError: unknown = null;
    const end = (whole: boolean) => {
      answered = true;
      signal.removeEventListener("abort", onAbort);
      if (whole && keepAlive && bodySent && !socket.hasLeftover) pool.release(origin, socket);
      else socket.close();
    };
    let keepAlive = false;
    try {
      if (body === null || framing === null || small !== null) {
        await socket.write(
          small === null ? head : concat([head, small]),
        );
      } else {
        // Sent alongside reading: a provider may answer (413, 401) before the body is all sent.
        streamBody(socket, head, body, framing, () => answered || socket.closed).then(
          (whole) => bodySent = whole,
          (error) => {
            sendError = error;
            socket.close();
          },
        );
      }
      const final = await readResponseHead(socket, method);
      keepAlive = final.keepAlive;
      return {
        status: final.head.status,
        statusText: final.head.reason,
        headers: final.head.headers,
        body: await responseBody(socket, final.framing, end),
        decoded: false,
      };
    } catch (error) {
      signal.removeEventListener("abort", onAbort);
      throw sendError ?? error;
    }
  };

  return {
    forward,
    close: () => pool.close(),
  };
}

/**
 * The head and a streamed body: chunked from the head's write on
 * (chunked_request.ts), one with a length after the head.
 */
async function streamBody(
  socket: SocketReader,
  head: Uint8Array,
  body: ReadableStream<Uint8Array>,
  framing: RequestFraming,
  stop: () => boolean,
): Promise<boolean> {
  const write = (bytes: Uint8Array) => socket.write(bytes);
  if (framing.kind === "chunked") return await writeChunked(body, head, write, stop);
  await write(head);
  return await writeBody(body, framing.length, write, stop);
}

/** Methods a client may send again after a connection failed (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Errors of a connection the provider had already closed. */
function stale(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    (error instanceof H1Error &&
      error.message === "the provider closed the connection before answering");
}
