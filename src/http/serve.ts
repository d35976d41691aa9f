import type { ListenAddress } from "../config/load.ts";

export interface RunningServer {
  addr: Deno.NetAddr;
  /** Stops accepting, waits for in-flight requests (bounded), then resolves. */
  shutdown(): Promise<void>;
  /** Resolves when the server has stopped or shutdown gave up waiting. */
  finished: Promise<void>;
}

/**
 * Serves `handler`; on SIGINT/SIGTERM stops accepting connections and lets
 * in-flight requests finish for up to `shutdownTimeoutMs`.
 */
export function startServer(options: {
  listen: ListenAddress;
  handler: (
    req: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>;
  shutdownTimeoutMs: number;
  signals?: boolean;
  onListen?: (addr: Deno.NetAddr) => void;
}): RunningServer {
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: options.listen.hostname,
    port: options.listen.port,
    signal: controller.signal,
    onListen: (addr) => options.onListen?.(addr),
  }, options.handler);
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
  if (options.signals !== false) {
    const onSignal = () => void shutdown();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    server.finished.finally(() => {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    });
  }
  // A request that outlives the shutdown timeout must not keep the process alive.
  const finished = Promise.race([server.finished, afterShutdown]);
  return { addr: server.addr, shutdown, finished };
}
