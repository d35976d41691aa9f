import type { ListenAddress } from "../config/load.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { errorResponse } from "../errors/error_response.ts";
import { isolateRequestIds } from "../identifiers/request_id.ts";
import { logSafeError } from "../errors/log_safe.ts";
import { type ConnLimits, defaultMaxConnections } from "./conn_limits.ts";
import { ConnectionBudget } from "./connection_budget.ts";
import { type ConnectionServer, connFd, denoInternals, type Handler } from "./deno_internal.ts";
import { waitForHead } from "./head_wait.ts";
import { libc } from "./libc.ts";
import { readNofileLimit } from "./nofile_limit.ts";
import { closeConn, UpgradeBridge } from "./upgrade_bridge.ts";

export interface RunningServer {
  addr: Deno.NetAddr;
  /** Stops accepting, waits for in-flight requests (bounded), then resolves. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped or shutdown gave up waiting. */
  finished: Promise<void>;
  /** Client connections open now. */
  openConnections(): number;
  /** The limits in force (the cap resolved from the open-file limit when not configured). */
  limits: ConnLimits;
  /**
   * Changes the connection cap from the next accepted connection on (serve
   * gives the main isolate the whole cap when its serving isolates did not start).
   */
  setMaxConnections(maxConnections: number): void;
}

export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 75_000;

/** Accept failures (EMFILE and the like) are logged at most this often. */
const ACCEPT_LOG_EVERY_MS = 10_000;
const ACCEPT_BACKOFF_MAX_MS = 1_000;

/**
 * Serves `handler`; on SIGINT/SIGTERM stops accepting connections and lets
 * in-flight requests finish for up to `shutdownTimeoutMs`.
 *
 * Deno.serve cannot bound a connection's life, cap their number or outlive
 * EMFILE (its accept loop ends on the first error). So the server accepts
 * in its own loop and serves each connection with Deno's per-connection
 * HTTP server: a connection must send its first request head within the
 * header timeout (checked by peeking, without consuming a byte), an idle
 * keep-alive connection is closed after the idle timeout, past the cap new
 * connections get a 503 SX-OVERLOADED and are closed, and accept errors are
 * logged and retried with a short backoff. Where Deno's internals or FFI are
 * missing it falls back to plain Deno.serve and says so through `log`.
 */
export function startServer(options: {
  listen: ListenAddress;
  handler: Handler;
  shutdownTimeoutMs: number;
  signals?: boolean;
  onListen?: (addr: Deno.NetAddr) => void;
  limits?: Partial<ConnLimits>;
  /** The config key that sets this address, named when it cannot be bound. */
  listenSetting?: string;
  log?: (line: string) => void;
  /** Called with the number of open client connections whenever it changes. */
  onConnections?: (open: number) => void;
  /** Called for each connection shed at the cap. */
  onShed?: () => void;
  /** Called for each connection admitted under the cap. */
  onAccept?: () => void;
  /**
   * Share the port with other listeners of this process (SO_REUSEPORT: the
   * kernel spreads new connections over them). Needs `--unstable-net`.
   */
  reusePort?: boolean;
  /**
   * With `reusePort`: this listener opens the port for the process, so any socket
   * already on it (another appliance's, which may share it too) is refused with
   * SX-LISTEN-IN-USE instead of the kernel splitting connections between the two.
   */
  claimPort?: boolean;
  /**
   * The connection cap shared with the process's other serving isolates
   * (its max wins over `limits.maxConnections`); by default one of its own.
   */
  budget?: ConnectionBudget;
}): RunningServer {
  const log = options.log ?? ((line: string) => console.error(line));
  const limits: ConnLimits = {
    headerTimeoutMs: options.limits?.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    idleTimeoutMs: options.limits?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxConnections: options.budget?.max ?? options.limits?.maxConnections ??
      defaultMaxConnections(readNofileLimit()?.soft ?? null),
  };
  const budget = options.budget ?? ConnectionBudget.create(limits.maxConnections);
  const internals = denoInternals();
  const c = libc();
  if (!internals || !c) {
    log(
      `serve: connection limits off (${
        c ? "this Deno lacks serveHttpOnConnection" : "needs --allow-ffi"
      }); serving with plain Deno.serve`,
    );
    return plainServer(options, limits);
  }
  let listener: Deno.TcpListener;
  try {
    claimPort(options);
    listener = Deno.listen({
      hostname: options.listen.hostname,
      port: options.listen.port,
      ...(options.reusePort ? { reusePort: true } : {}),
    });
  } catch (error) {
    throw listenError(options.listen, options.listenSetting ?? "server.listen", error);
  }
  const addr = listener.addr;
  options.onListen?.(addr);

  const open = new Set<Tracked>();
  const bridge = new UpgradeBridge(options.handler);
  let stopping = false;
  const changed = () => options.onConnections?.(open.size);
  const requestIds = isolateRequestIds();
  const onError = (error: unknown) => {
    const requestId = requestIds();
    log(`serve: ${requestId}: ${logSafeError(error)}`);
    return errorResponse(
      new SecurixError("SX-INTERNAL", "Internal error", { status: 500 }),
      undefined,
      requestId,
    );
  };

  // Idle connections are found by a sweep, not a timer per request: a request only
  // stamps its connection with the sweep's tick (a timer and a completion promise per
  // request cost more than Deno's whole dispatch). Past the idle timeout without a new
  // request the connection gets hyper's graceful close: it takes no more requests,
  // finishes a response still streaming, then closes.
  const tickMs = Math.max(25, Math.min(1_000, Math.floor(limits.idleTimeoutMs / 4)));
  const idleTicks = Math.ceil(limits.idleTimeoutMs / tickMs);
  let tick = 0;
  const sweep = setInterval(() => {
    tick++;
    for (const t of open) {
      // Not while a body is still coming in: the same shutdown would make it unreadable.
      if (t.server && t.reading === 0 && tick - t.lastTick >= idleTicks) {
        t.server.shutdown().catch(() => {});
      }
    }
  }, tickMs);
  Deno.unrefTimer(sweep);

  const serveHttp = (t: Tracked) => {
    // The head is in: the handler runs next, unless hyper refuses it and waits idle.
    t.lastTick = tick;
    t.server = internals.serveOnConnection(
      t.conn,
      undefined,
      (req, info) => {
        t.lastTick = tick;
        // Deno 2.9's graceful shutdown makes an in-flight request body unreadable at once
        // (denoland/deno#36809): a connection still receiving one is shut down only once its
        // handler is done. Bodyless methods skip the bookkeeping (the hot path's GETs).
        if (req.method === "GET" || req.method === "HEAD") return options.handler(req, info);
        t.reading++;
        try {
          const answer = options.handler(req, info);
          if (answer instanceof Promise) return answer.finally(() => doneReading(t));
          doneReading(t);
          return answer;
        } catch (error) {
          doneReading(t);
          throw error;
        }
      },
      onError,
      () => {},
    );
    t.server.finished.catch(() => {}).finally(() => untrack(t));
  };
  const doneReading = (t: Tracked) => {
    if (--t.reading === 0 && t.closeWhenDone) void t.server?.shutdown().catch(() => {});
  };
  const untrack = (t: Tracked) => {
    if (open.delete(t)) {
      budget.release();
      changed();
    }
    t.settled();
  };
  const admit = async (conn: Deno.TcpConn) => {
    let settled!: () => void;
    const t: Tracked = {
      conn,
      server: null,
      lastTick: 0,
      reading: 0,
      closeWhenDone: false,
      finished: new Promise<void>((resolve) => settled = resolve),
      settled,
    };
    open.add(t);
    changed();
    const fd = connFd(conn, internals);
    const outcome = fd === null ? "http" : await waitForHead(fd, c, {
      timeoutMs: limits.headerTimeoutMs,
      stopping: () => stopping,
    });
    if (outcome === "http" && !stopping) return serveHttp(t);
    if (outcome === "websocket" && !stopping) {
      // A bridged WebSocket holds two more descriptors (the loopback pair), so it counts
      // twice against the cap, which assumes two per connection.
      budget.add(1);
      return void bridge.carry(conn).finally(() => {
        budget.release();
        untrack(t);
      });
    }
    closeConn(conn);
    untrack(t);
  };

  const acceptLoop = (async () => {
    let backoff = 0;
    let lastLog = -Infinity;
    let failures = 0;
    while (!stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (stopping || error instanceof Deno.errors.BadResource) break;
        // EMFILE, ENFILE, ECONNABORTED …: the listener is fine; descriptors free up as
        // connections close (the header and idle timeouts see to that).
        failures++;
        if (Date.now() - lastLog >= ACCEPT_LOG_EVERY_MS) {
          log(
            `serve: cannot accept a connection on ${addr.hostname}:${addr.port}: ${
              (error as Error).message
            } (${failures} time(s); ${open.size} connections open; retrying)`,
          );
          lastLog = Date.now();
          failures = 0;
        }
        backoff = Math.min(ACCEPT_BACKOFF_MAX_MS, backoff ? backoff * 2 : 10);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        continue;
      }
      backoff = 0;
      if (!budget.take()) {
        shed(conn);
        options.onShed?.();
        continue;
      }
      options.onAccept?.();
      void admit(conn);
    }
  })();

  let shuttingDown: Promise<void> | null = null;
  let stopped!: () => void;
  const finished = new Promise<void>((resolve) => stopped = resolve);
  const shutdown = () => {
    shuttingDown ??= (async () => {
      stopping = true;
      clearInterval(sweep);
      try {
        listener.close();
      } catch { /* already closed */ }
      await acceptLoop;
      // Idle and mid-head connections close now, in-flight requests finish; WebSockets
      // end with the server, as they did under Deno.serve.
      for (const t of open) {
        if (t.reading > 0) t.closeWhenDone = true;
        else void t.server?.shutdown().catch(() => {});
      }
      const drained = Promise.all([
        ...[...open].map((t) => t.finished),
        bridge.shutdown().catch(() => {}),
      ]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.shutdownTimeoutMs);
      });
      await Promise.race([drained, timeout]);
      clearTimeout(timer);
      stopped();
    })();
    return shuttingDown;
  };
  if (options.signals !== false) listenForSignals(shutdown, finished);
  return {
    addr,
    shutdown,
    finished,
    openConnections: () => open.size,
    limits,
    setMaxConnections: (max) => limits.maxConnections = budget.max = max,
  };
}

interface Tracked {
  conn: Deno.TcpConn;
  server: ConnectionServer | null;
  /** The sweep tick of its last request (or of its hand-over to the HTTP server). */
  lastTick: number;
  /** Requests with a body whose handler has not finished. */
  reading: number;
  /** Shutting down: close it once `reading` is back to 0. */
  closeWhenDone: boolean;
  /** Resolves once the connection is closed and forgotten. */
  finished: Promise<void>;
  settled: () => void;
}

const OVERLOADED_BODY = JSON.stringify({
  error: {
    code: "SX-OVERLOADED",
    message: "The appliance is at its connection limit; retry shortly",
  },
});
const OVERLOADED = new TextEncoder().encode(
  "HTTP/1.1 503 Service Unavailable\r\n" +
    "content-type: application/json; charset=utf-8\r\n" +
    "retry-after: 1\r\nconnection: close\r\n" +
    `content-length: ${OVERLOADED_BODY.length}\r\n\r\n${OVERLOADED_BODY}`,
);

/**
 * Descriptors that shed connections may hold while their 503 is written: past
 * this a burst is closed without one, so shedding never spends what the cap saves.
 */
const SHED_WRITES_MAX = 16;
let shedWrites = 0;

/** One write into a fresh socket's empty send buffer does not wait; then the descriptor goes. */
function shed(conn: Deno.TcpConn): void {
  if (shedWrites >= SHED_WRITES_MAX) return closeConn(conn);
  shedWrites++;
  conn.write(OVERLOADED).catch(() => 0).finally(() => {
    shedWrites--;
    closeConn(conn);
  });
}

/**
 * SO_REUSEPORT lets a second process bind a port the first holds with it too (the
 * kernel then spreads connections over both): a listener that opens the port for
 * this process first binds it alone, which fails when anything else is on it.
 */
function claimPort(
  options: { listen: ListenAddress; reusePort?: boolean; claimPort?: boolean },
): void {
  if (!options.reusePort || !options.claimPort || options.listen.port === 0) return;
  Deno.listen({ hostname: options.listen.hostname, port: options.listen.port }).close();
}

export function listenError(
  listen: ListenAddress,
  setting: string,
  error: unknown,
): SecurixError {
  const where = listen.hostname.includes(":")
    ? `[${listen.hostname}]:${listen.port}`
    : `${listen.hostname}:${listen.port}`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new SecurixError(
      "SX-LISTEN-IN-USE",
      `Cannot listen on ${where}: address already in use — stop the other process or set ${setting}`,
      { cause: error },
    );
  }
  return new SecurixError(
    "SX-LISTEN-FAILED",
    `Cannot listen on ${where}: ${(error as Error).message} — check ${setting}`,
    { cause: error },
  );
}

function listenForSignals(shutdown: () => Promise<void>, finished: Promise<void>): void {
  const onSignal = () => void shutdown();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  finished.finally(() => {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  });
}

/** Deno.serve as before, for a Deno without the internals or a process without FFI. */
function plainServer(
  options: Parameters<typeof startServer>[0],
  limits: ConnLimits,
): RunningServer {
  const controller = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    claimPort(options);
    server = Deno.serve({
      hostname: options.listen.hostname,
      port: options.listen.port,
      ...(options.reusePort ? { reusePort: true } : {}),
      signal: controller.signal,
      onListen: (addr) => options.onListen?.(addr),
    }, options.handler);
  } catch (error) {
    throw listenError(options.listen, options.listenSetting ?? "server.listen", error);
  }
  let stopping: Promise<void> | null = null;
  let stopped!: () => void;
  const afterShutdown = new Promise<void>((resolve) => stopped = resolve);
  const shutdown = () => {
    stopping ??= (async () => {
      const timeout = new Promise<void>((resolve) => {
        const id = setTimeout(resolve, options.shutdownTimeoutMs);
        server.finished.finally(() => clearTimeout(id));
      });
      await Promise.race([server.shutdown(), timeout]);
      stopped();
    })();
    return stopping;
  };
  // A request that outlives the shutdown timeout must not keep the process alive.
  const finished = Promise.race([server.finished, afterShutdown]);
  if (options.signals !== false) listenForSignals(shutdown, finished);
  return {
    addr: server.addr,
    shutdown,
    finished,
    openConnections: () => 0,
    limits,
    // Plain Deno.serve caps nothing: only what is reported changes.
    setMaxConnections: (max) => limits.maxConnections = max,
  };
}
