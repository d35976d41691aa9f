import type { Handler } from "./deno_internal.ts";

/**
 * Serves WebSocket upgrades for the guarded server. A WebSocket upgraded on
 * a per-connection server (serveHttpOnConnection) dies as soon as that
 * connection's HTTP part ends, which is at the upgrade; one upgraded on a
 * listener's Deno.serve lives on. So connections whose first request is an
 * upgrade are piped, bytes as they are, to a Deno.serve on a loopback port
 * of its own that runs the same handler with the client's real address. Only
 * those connections pay for the extra hop; plain HTTP never comes here.
 */
export class UpgradeBridge {
  readonly #handler: Handler;
  #server: Deno.HttpServer<Deno.NetAddr> | null = null;
  /** Local port of each piped loopback connection → the client it carries, and its pipe. */
  readonly #clients = new Map<number, { addr: Deno.NetAddr; end: () => void }>();
  readonly #pipes = new Set<Deno.Conn>();

  constructor(handler: Handler) {
    this.#handler = handler;
  }

  /** Pipes `conn` to the inner server until the inner server closes its side. */
  async carry(conn: Deno.TcpConn): Promise<void> {
    const server = this.#start();
    let inner: Deno.TcpConn;
    try {
      inner = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    } catch {
      closeConn(conn);
      return;
    }
    conn.setNoDelay(true);
    inner.setNoDelay(true);
    const key = inner.localAddr.port;
    this.#clients.set(key, {
      addr: conn.remoteAddr,
      // The inner server then sees the end of its input and closes once its answer is out.
      end: () => inner.closeWrite().catch(() => closeConn(inner)),
    });
    this.#pipes.add(conn).add(inner);
    try {
      void pump(conn, inner);
      // Once the inner server's side ends there is nothing left to carry either way.
      await pump(inner, conn);
    } finally {
      this.#clients.delete(key);
      this.#pipes.delete(conn);
      this.#pipes.delete(inner);
      closeConn(conn);
      closeConn(inner);
    }
  }

  async shutdown(): Promise<void> {
    for (const conn of this.#pipes) closeConn(conn);
    await this.#server?.shutdown();
  }

  #start(): Deno.HttpServer<Deno.NetAddr> {
    this.#server ??= Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, async (req, info) => {
      const client = this.#clients.get(info.remoteAddr.port);
      // Only our own pipes reach it: a local process connecting directly is refused.
      if (!client || info.remoteAddr.hostname !== "127.0.0.1") {
        return new Response(null, { status: 403 });
      }
      const res = await this.#handler(req, { ...info, remoteAddr: client.addr });
      // An upgrade the handler refused (a bad key, say) ends the pipe once answered:
      // this server has no header or idle timeout, so a connection kept alive here
      // would escape both. (Deno does not close on a `Connection: close` answer.)
      if (res.status !== 101) void info.completed.finally(client.end);
      return res;
    });
    return this.#server;
  }
}

async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
    }
    await to.closeWrite();
  } catch {
    // One side went away: closing both (in carry) ends the other pump.
    closeConn(from);
    closeConn(to);
  }
}

/** Closes a connection that may be closed already. */
export function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
