/**
 * A serving isolate's entry point ([server] workers > 1): its own database
 * connection, providers, caches, rule book, proxy and app, listening on the
 * main isolate's port with SO_REUSEPORT. Audit events and metrics go to the
 * main isolate (serving_pool.ts), which keeps everything singular.
 */
import type { AuditEvent } from "../audit/audit_types.ts";
import { loadConfig } from "../config/load.ts";
import { ThreadCalls } from "../db/thread_calls.ts";
import type { FailureCount } from "../flows/attempt_counter.ts";
import { logSafeError } from "../errors/log_safe.ts";
import type { MetricsSnapshot } from "../metrics/appliance_metrics.ts";
import { openAppliance } from "./appliance.ts";
import { ConnectionBudget } from "./connection_budget.ts";
import { type CacheChange, createRuntime, type Runtime } from "./runtime.ts";
import { type RunningServer, startServer } from "./serve.ts";

export type ToServingWorker =
  /**
   * The config is loaded again here, from the main isolate's file, working
   * directory and environment: a structured clone would lose what lives in
   * classes (provider client secrets are private fields). `databaseUrl` is the
   * main isolate's, to refuse a config that changed in between. `port`: the
   * one the main isolate bound (the configured one may be 0).
   */
  | {
    type: "start";
    isolate: number;
    /** Serving isolates in all (the main one included): they share each rate limit. */
    isolates: number;
    source: string | null;
    cwd: string;
    databaseUrl: string;
    port: number;
    /** The process's connection cap, counted with every isolate (ConnectionBudget's buffer). */
    budget: SharedArrayBuffer;
    /** The main isolate's security thread (transferred), or null: start one here. */
    security: MessagePort | null;
  }
  /** Rules and scopes a SIGHUP reload validated in the main isolate. */
  | { type: "rules"; raw: Record<string, unknown> }
  | { type: "metrics"; id: number }
  /** A change made in another isolate: drop the cache entries it makes stale. */
  | { type: "forget"; change: CacheChange }
  /**
   * The main isolate's count of a failed key check this isolate reserved
   * (`keyFailed`); null when it could not count (the message says why).
   */
  | { type: "keyFailed"; id: number; count: FailureCount | null; message?: string }
  /** An address reached `auth_lockout.max_failures` in the main isolate's count. */
  | { type: "lockOut"; key: string; until: number }
  /** The main isolate's audit writer turned backlogged, or caught up. */
  | { type: "backlog"; backlogged: boolean }
  /** Stop accepting, drain, hand over the last audit events, then say "stopped". */
  | { type: "stop" };

export type FromServingWorker =
  | { type: "listening" }
  | { type: "failed"; message: string }
  /**
   * A batch of AuditEvent[] as JSON (one string clones cheaper than many
   * objects), `count` events, the first at `oldestAt`: the main isolate queues
   * it as it is, unparsed, and counts its events against the backlog limit.
   */
  | { type: "audit"; events: string; count: number; oldestAt: number }
  | { type: "metrics"; id: number; snapshot: MetricsSnapshot }
  | { type: "log"; line: string }
  /** A change made through this isolate, for the others to forget. */
  | { type: "forget"; change: CacheChange }
  /** A key check about to be made here, reserved as failed in the main isolate's count (it answers "keyFailed"). */
  | { type: "keyFailed"; id: number; address: string }
  /** A reserved check passed: the failure it counted in the window starting at `windowStart` goes back. */
  | { type: "keyForgiven"; address: string; windowStart: number }
  | { type: "stopped" };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToServingWorker>) => void) | null;
  postMessage(message: FromServingWorker): void;
};
const post = (message: FromServingWorker) => scope.postMessage(message);
const log = (line: string) => post({ type: "log", line });

let serving: Awaited<ReturnType<typeof start>> | null = null;
let starting: ReturnType<typeof start> | null = null;
/**
 * The runtime as soon as it exists: it caches from then on, and the server
 * may answer before `serving` is set, so forgets and lockouts act on it at once.
 */
let live: Runtime | null = null;
let stopping: Promise<void> | null = null;
let auditBacklogged = false;
// The main isolate answers at once; a late answer only means the process is stopping.
const KEY_FAILED_TIMEOUT_MS = 5_000;
const keyCounts = new ThreadCalls("main isolate");
const keyFailed = (address: string) => {
  const id = keyCounts.nextId();
  return keyCounts.send(
    id,
    () => post({ type: "keyFailed", id, address }),
    KEY_FAILED_TIMEOUT_MS,
  ) as Promise<FailureCount>;
};

async function start(message: Extract<ToServingWorker, { type: "start" }>) {
  const { isolate, port } = message;
  // Unknown SECURIX_* variables were warned about by the main isolate already.
  const { config } = await loadConfig({
    path: message.source,
    cwd: message.cwd,
    envNames: () => [],
  });
  if (config.database.url !== message.databaseUrl) {
    throw new Error("the config file changed since the main isolate loaded it; restart");
  }
  const appliance = await openAppliance(config, { migrate: false });
  const runtime = await createRuntime(appliance, {
    log,
    serving: {
      auditSink: (events: AuditEvent[]) =>
        post({
          type: "audit",
          events: JSON.stringify(events),
          count: events.length,
          oldestAt: events[0].at,
        }),
      auditBacklogged: () => auditBacklogged,
      security: message.security,
      keyFailed,
      keyForgiven: (address, windowStart) => post({ type: "keyForgiven", address, windowStart }),
    },
    onCachesChanged: (change) => post({ type: "forget", change }),
    limitHolders: message.isolates,
  });
  runtime.start();
  live = runtime;
  const { metrics } = runtime;
  let server: RunningServer;
  try {
    server = startServer({
      listen: { hostname: config.server.listenAddress.hostname, port },
      listenSetting: "server.listen",
      reusePort: true,
      // The main isolate has the signal handlers and tells this one to stop.
      signals: false,
      handler: runtime.handler,
      shutdownTimeoutMs: config.server.shutdown_timeout_ms,
      limits: {
        headerTimeoutMs: config.server.header_timeout_ms,
        idleTimeoutMs: config.server.idle_timeout_ms,
      },
      budget: new ConnectionBudget(message.budget, isolate),
      log,
      onConnections: (open) => metrics.openConnections.set({ listener: "public" }, open),
      onShed: () => metrics.shedConnections.inc({ listener: "public" }),
      onAccept: () => metrics.acceptedConnections.inc({ isolate: String(isolate) }),
    });
  } catch (error) {
    live = null;
    await runtime.stop();
    appliance.close();
    throw error;
  }
  return { appliance, runtime, server };
}

async function stop(): Promise<void> {
  // A stop while starting waits for the start and undoes it: an isolate that came up after
  // the stop would accept connections nobody drains.
  const running = serving ?? await starting?.catch(() => null) ?? null;
  if (running) {
    await running.server.shutdown();
    // Flushes the audit buffer: its last batch is posted before "stopped".
    await running.runtime.stop();
    running.appliance.close();
  }
  post({ type: "stopped" });
}

scope.onmessage = ({ data }) => {
  switch (data.type) {
    case "start":
      starting = start(data);
      starting.then((s) => {
        serving = s;
        post({ type: "listening" });
      }, (error) => post({ type: "failed", message: logSafeError(error) }));
      return;
    case "rules": {
      const loaded = live?.applyRules(data.raw, "sighup");
      if (loaded && !loaded.ok) log("rules: the reloaded rules did not load in this isolate");
      return;
    }
    case "metrics":
      if (!serving) return post({ type: "metrics", id: data.id, snapshot: [] });
      // A failed snapshot still answers: the main isolate waits on every id, and an
      // unhandled rejection here would end the isolate mid-drain.
      serving.runtime.metrics.snapshot().then(
        (snapshot) => post({ type: "metrics", id: data.id, snapshot }),
        (error) => {
          log(`metrics: ${logSafeError(error)}`);
          post({ type: "metrics", id: data.id, snapshot: [] });
        },
      );
      return;
    case "forget":
      live?.forget(data.change);
      return;
    case "keyFailed":
      keyCounts.settle(
        data.count
          ? { type: "done", id: data.id, result: data.count }
          : { type: "failed", id: data.id, message: data.message ?? "not counted" },
      );
      return;
    case "lockOut":
      live?.lockOut(data.key, data.until);
      return;
    case "backlog":
      auditBacklogged = data.backlogged;
      return;
    case "stop":
      stopping ??= stop().catch((error) => {
        log(`stop: ${logSafeError(error)}`);
        post({ type: "stopped" });
      });
      return;
  }
};
