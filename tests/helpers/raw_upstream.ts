/**
 * A provider at the TCP level for the upstream client's tests: every
 * accepted connection goes to `serve` with a reader for request heads and
 * bodies; answers are written as raw bytes, malformed ones included.
 */
export interface RawUpstream {
  port: number;
  url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export class Wire {
  readonly conn: Deno.Conn;
  #buffer = new Uint8Array(0);
  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk).catch(() => null);
    if (n === null) return false;
    const joined = new Uint8Array(this.#buffer.byteLength + n);
    joined.set(this.#buffer);
    joined.set(chunk.subarray(0, n), this.#buffer.byteLength);
    this.#buffer = joined;
    return true;
  }

  /** The next request head as text, or null when the client ended the connection. */
  async head(): Promise<string | null> {
    for (;;) {
      const text = new TextDecoder("latin1").decode(this.#buffer);
      const end = text.indexOf("\r\n\r\n");
      if (end !== -1) {
        this.#buffer = this.#buffer.subarray(end + 4);
        return text.slice(0, end + 4);
      }
      if (!await this.#fill()) return null;
    }
  }

  async bytes(n: number): Promise<Uint8Array> {
    while (this.#buffer.byteLength < n) {
      if (!await this.#fill()) throw new Error("client ended early");
    }
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /** Everything until the client ends the connection; true if it ended (EOF or reset). */
  async ended(): Promise<boolean> {
    while (await this.#fill()) this.#buffer = new Uint8Array(0);
    return true;
  }

  /** Reads until `marker` has arrived (a chunked body's end). */
  async until(marker: string): Promise<string> {
    for (;;) {
      const text = new TextDecoder("latin1").decode(this.#buffer);
      const at = text.indexOf(marker);
      if (at !== -1) {
        this.#buffer = this.#buffer.subarray(at + marker.length);
        return text.slice(0, at + marker.length);
      }
      if (!await this.#fill()) throw new Error("client ended early");
    }
  }

  async send(text: string | Uint8Array): Promise<void> {
    const bytes = typeof text === "string" ? Uint8Array.from(text, (c) => c.charCodeAt(0)) : text;
    let at = 0;
    while (at < bytes.byteLength) at += await this.conn.write(bytes.subarray(at));
  }
}

export function rawUpstream(serve: (wire: Wire, index: number) => Promise<void>): RawUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let accepted = 0;
  const running: Promise<void>[] = [];
  const conns: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const conn of listener) {
      const index = accepted++;
      conns.push(conn);
      running.push(
        serve(new Wire(conn), index).catch(() => {}).finally(() => {
          try {
            conn.close();
          } catch {
            // Closed by the handler.
          }
        }),
      );
    }
  })();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await loop.catch(() => {});
      await Promise.allSettled(running);
    },
  };
}
