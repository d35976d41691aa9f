/**
 * One webhook POST to an address that was already checked. fetch() resolves
 * the name again when it connects, and that second answer may differ from
 * the one the policy judged (DNS rebinding); so this connects a TCP socket to
 * the checked address itself and speaks HTTP/1.1 over it, with the URL's
 * host in Host and in TLS SNI and certificate verification.
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function timeoutError(): Error {
  return new DOMException("receiver timed out", "TimeoutError");
}

async function connect(request: PinnedRequest, signal: AbortSignal): Promise<Deno.Conn> {
  const port = Number(request.url.port) || (request.url.protocol === "https:" ? 443 : 80);
  let last: unknown = new Error("no address to connect to");
  for (const hostname of request.addresses) {
    if (signal.aborted) throw timeoutError();
    try {
      return await Deno.connect({ hostname, port, signal });
    } catch (error) {
      if (signal.aborted) throw timeoutError();
      last = error;
    }
  }
  throw last;
}

function requestHead(request: PinnedRequest, bodyLength: number): string {
  const target = `${request.url.pathname || "/"}${request.url.search}`;
  const lines = [`POST ${target} HTTP/1.1`, `host: ${request.url.host}`];
  for (const [name, value] of Object.entries(request.headers)) {
    // Our own headers: a CR or LF here is a bug, not input to pass on.
    if (/[\r\n]/.test(name + value)) throw new Error(`header ${name} holds a line break`);
    lines.push(`${name}: ${value}`);
  }
  lines.push(`content-length: ${bodyLength}`, "connection: close");
  return lines.join("\r\n") + "\r\n\r\n";
}

/** Reads answers until a final (non-1xx) status line; returns its code. */
async function readStatus(conn: Deno.Conn): Promise<number> {
  let head = "";
  const chunk = new Uint8Array(4096);
  while (true) {
    const end = head.indexOf("\r\n\r\n");
    if (end !== -1) {
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!match) throw new Error("receiver answered something other than HTTP/1.x");
      const status = Number(match[1]);
      if (status >= 200 || status < 100) return status;
      head = head.slice(end + 4);
      continue;
    }
    if (head.length > MAX_HEAD_BYTES) throw new Error("receiver's answer head is too large");
    const n = await conn.read(chunk);
    if (n === null) throw new Error("receiver closed the connection without answering");
    head += decoder.decode(chunk.subarray(0, n), { stream: true });
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** The default sender: HTTP/1.1 over a socket to a checked address, no redirects followed. */
export const pinnedPost: WebhookSender = async (request) => {
  const signal = AbortSignal.timeout(request.timeoutMs);
  let conn: Deno.Conn | null = null;
  const onAbort = () => {
    try {
      conn?.close();
    } catch { /* already closed */ }
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    conn = await connect(request, signal);
    if (request.url.protocol === "https:") {
      conn = await Deno.startTls(conn as Deno.TcpConn, {
        hostname: request.url.hostname.replace(/^\[|\]$/g, ""),
        caCerts: request.caCerts,
      });
    }
    const body = encoder.encode(request.body);
    await writeAll(conn, encoder.encode(requestHead(request, body.length)));
    await writeAll(conn, body);
    return await readStatus(conn);
  } catch (error) {
    if (signal.aborted) throw timeoutError();
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
    onAbort();
  }
};
