/**
 * The two pieces of Deno's internals the guarded server needs, looked up
 * once and typed here so nothing else touches `Deno[Deno.internal]`:
 * `serveHttpOnConnection` (what Deno's own node:http serves an accepted
 * connection with) and the symbol holding a connection's file descriptor.
 * Either may vanish in a later Deno; startServer then falls back to plain
 * Deno.serve and says so.
 */

export interface ConnectionServer {
  finished: Promise<void>;
  /** Graceful: closes the connection once idle or mid-head; in-flight requests finish. */
  shutdown(): Promise<void>;
}

/** A request handler as Deno.serve takes it (the servers in serve.ts and upgrade_bridge.ts). */
export type Handler = (
  req: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

export type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal | undefined,
  handler: Handler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: (scheme: string) => void,
) => ConnectionServer;

export interface DenoInternals {
  serveOnConnection: ServeOnConnection;
  fdSymbol: symbol;
}

let found: DenoInternals | null | undefined;

export function denoInternals(): DenoInternals | null {
  if (found !== undefined) return found;
  found = null;
  try {
    // deno-lint-ignore no-explicit-any
    const internal = (Deno as any)[(Deno as any).internal];
    const serveOnConnection = internal?.serveHttpOnConnection;
    const fdSymbol = internal?.core?.internalFdSymbol;
    if (typeof serveOnConnection === "function" && typeof fdSymbol === "symbol") {
      found = { serveOnConnection, fdSymbol };
    }
  } catch {
    // Not there: the caller falls back.
  }
  return found;
}

export function connFd(conn: Deno.Conn, internals: DenoInternals): number | null {
  const fd = (conn as unknown as Record<symbol, unknown>)[internals.fdSymbol];
  return typeof fd === "number" && fd >= 0 ? fd : null;
}
