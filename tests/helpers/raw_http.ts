/**
 * HTTP/1.1 over raw TCP on 127.0.0.1, for attack tests: the bytes go out
 * exactly as written (fetch would fix the Host, refuse absolute-form targets,
 * collapse dot segments, or drop hop-by-hop headers), and a fake upstream
 * sees exactly what the appliance sends it. Every read has a deadline.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEAD_END = encoder.encode("\r\n\r\n");
const CRLF = encoder.encode("\r\n");

export interface RawMessage {
  /** `HTTP/1.1 400 Bad Request` or `GET /x HTTP/1.1`. */
  startLine: string;
  headers: Headers;
  body: string;
  /** The head exactly as received, start line to the blank line (header case and order kept). */
  head: string;
}

export function statusOf(message: RawMessage): number {
  return Number(message.startLine.split(" ")[1]);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Reads HTTP/1.1 messages off one connection until EOF or the deadline. */
export class RawReader {
  #buf = new Uint8Array(0);
  #done = false;
  /** The peer closed the connection (as opposed to the deadline passing). */
  eof = false;

  constructor(private readonly conn: Deno.Conn, private readonly deadline: number) {}

  async #fill(): Promise<boolean> {
    const left = this.deadline - Date.now();
    if (this.#done || left <= 0) return false;
    const chunk = new Uint8Array(64 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), left));
    const n = await Promise.race([this.conn.read(chunk).catch(() => null), timeout]);
    clearTimeout(timer);
    if (n === "timeout") {
      this.#done = true; // The pending read ends when the connection is closed.
      return false;
    }
    if (n === null) {
      this.#done = true;
      this.eof = true;
      return false;
    }
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  async #line(): Promise<string | null> {
    let at: number;
    while ((at = indexOf(this.#buf, CRLF)) < 0) {
      if (!await this.#fill()) return null;
    }
    const line = decoder.decode(this.#take(at));
    this.#take(2);
    return line;
  }

  async #bytes(n: number): Promise<Uint8Array | null> {
    while (this.#buf.length < n) if (!await this.#fill()) return null;
    return this.#take(n);
  }

  async #chunked(): Promise<string | null> {
    let body = "";
    for (let i = 0; i < 100_000; i++) {
      const sizeLine = await this.#line();
      if (sizeLine === null) return null;
      const size = parseInt(sizeLine.split(";")[0], 16);
      if (size === 0) {
        for (let t = 0; t < 100; t++) if (!(await this.#line())) break; // trailers
        return body;
      }
      const data = await this.#bytes(size + 2);
      if (data === null) return null;
      body += decoder.decode(data.subarray(0, size));
    }
    return null;
  }

  /** The next message, or null at EOF/deadline before a complete one arrived. */
  async read(kind: "request" | "response"): Promise<RawMessage | null> {
    let end: number;
    while ((end = indexOf(this.#buf, HEAD_END)) < 0) if (!await this.#fill()) return null;
    const head = decoder.decode(this.#take(end));
    const [startLine, ...lines] = head.split("\r\n");
    this.#take(4);
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const status = Number(startLine.split(" ")[1]);
    let body: string | null = "";
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      body = await this.#chunked();
    } else if (headers.has("content-length")) {
      const data = await this.#bytes(Number(headers.get("content-length")));
      body = data && decoder.decode(data);
    } else if (kind === "response" && status >= 200 && status !== 204 && status !== 304) {
      while (await this.#fill()); // Body delimited by the connection closing.
      body = decoder.decode(this.#take(this.#buf.length));
    }
    return body === null ? null : { startLine, headers, body, head };
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  let written = 0;
  for (let i = 0; i < 10_000 && written < bytes.length; i++) {
    try {
      written += await conn.write(bytes.subarray(written));
    } catch {
      return false; // The peer gave up on us first (e.g. refused oversized headers).
    }
  }
  return written === bytes.length;
}

export interface Exchange {
  responses: RawMessage[];
  /** The server closed the connection before the deadline. */
  closed: boolean;
}

/**
 * Writes `bytes` in one go to 127.0.0.1:`port` and collects the responses
 * until the server closes, `maxResponses` arrived, or `timeoutMs` passed.
 */
export async function exchange(
  port: number,
  bytes: string,
  options: { timeoutMs?: number; maxResponses?: number } = {},
): Promise<Exchange> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, encoder.encode(bytes));
    const reader = new RawReader(conn, Date.now() + (options.timeoutMs ?? 5_000));
    const responses: RawMessage[] = [];
    while (responses.length < (options.maxResponses ?? 10)) {
      const message = await reader.read("response");
      if (!message) break;
      responses.push(message);
    }
    return { responses, closed: reader.eof };
  } finally {
    conn.close();
  }
}

/** One request on its own connection; `Connection: close` is added unless `keepAlive`. */
export async function rawRequest(port: number, head: {
  method?: string;
  target: string;
  host?: string | null;
  headers?: [string, string][];
  body?: string;
}): Promise<RawMessage | null> {
  const lines = [`${head.method ?? "GET"} ${head.target} HTTP/1.1`];
  if (head.host !== null) lines.push(`Host: ${head.host ?? `127.0.0.1:${port}`}`);
  for (const [name, value] of head.headers ?? []) lines.push(`${name}: ${value}`);
  if (!(head.headers ?? []).some(([n]) => n.toLowerCase() === "connection")) {
    lines.push("Connection: close");
  }
  if (head.body !== undefined) lines.push(`Content-Length: ${encoder.encode(head.body).length}`);
  const { responses } = await exchange(port, lines.join("\r\n") + "\r\n\r\n" + (head.body ?? ""), {
    maxResponses: 1,
  });
  return responses[0] ?? null;
}
