import type { Command } from "commander";
import { createRuntime, type Runtime } from "../http/runtime.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { pidFile } from "./pid_file.ts";
import { openAppliance } from "../http/appliance.ts";
import { startServer } from "../http/serve.ts";
import { raiseNofileLimit, readNofileLimit } from "../http/nofile_limit.ts";
import { defaultMaxConnections, processConnections } from "../http/conn_limits.ts";
import { ConnectionBudget } from "../http/connection_budget.ts";
import { runnableIsolates, servingIsolates, ServingPool } from "../http/serving_pool.ts";
import type { CliContext } from "./context.ts";
import { VERSION } from "./version.ts";

export function registerServe(program: Command, context: CliContext): void {
  program.command("serve")
    .description("run the appliance (on embedded defaults when no config file is found)")
    .action(async () => {
      const { io } = context;
      const { config, notes, warnings } = await context.config({ create: true });
      // Before anything opens descriptors, and before the connection cap is derived from it.
      const nofile = raiseNofileLimit();
      io.out(`Securix ${VERSION}`);
      io.out(`Config: ${config.source ?? "embedded defaults (no securix.toml found)"}`);
      for (const note of notes) io.out(note);
      const appliance = await openAppliance(config, {
        create: true,
        onBackup: (path) => io.out(`Backup before migrating: ${path}`),
        onMigrated: (names) => {
          if (names.length > 0) io.out(`Applied migrations: ${names.join(", ")}`);
        },
      });
      io.out(
        `Database: ${config.database.filePath ?? config.database.url}${
          config.database.filePath ? " (encrypted)" : ""
        }`,
      );
      const runnable = runnableIsolates(
        config.server.workers,
        navigator.hardwareConcurrency,
        config.server.listenAddress.hostname,
      );
      if (runnable < servingIsolates(config.server.workers, navigator.hardwareConcurrency)) {
        io.err(
          "Workers: one serving isolate; sharing the port needs Deno's --unstable-net (deno.json sets it)",
        );
      }
      // The open-file limit is the process's, and so is a configured cap: every isolate counts
      // against one budget, however the kernel spreads the connections over them.
      const { isolates, total, note } = processConnections(
        config.server.max_connections,
        runnable,
        readNofileLimit()?.soft ?? null,
      );
      if (note) io.err(note);
      let pool: ServingPool | null = null;
      const runtime = await createRuntime(appliance, {
        log: io.err,
        onCachesChanged: (change) => pool?.forget(change),
        onRulesReloaded: (raw) => pool?.applyRules(raw),
        onKeyLockout: (key, until) => pool?.lockOut(key, until),
        startWarnings: warnings,
        limitHolders: isolates,
      });
      runtime.start();
      io.out(describeRules(runtime.rules.set));
      const stopReloads = reloadOnHangup(
        runtime,
        io,
        pidFile(config),
        (raw) => pool?.applyRules(raw),
      );
      const { metrics } = runtime;
      const budget = ConnectionBudget.create(total, isolates);
      const limits = {
        headerTimeoutMs: config.server.header_timeout_ms,
        idleTimeoutMs: config.server.idle_timeout_ms,
      };
      const metricsServer = startMetrics(() =>
        startServer({
          listen: config.server.metricsAddress,
          listenSetting: "server.metrics_listen",
          handler: async (req) =>
            new URL(req.url).pathname === "/metrics"
              ? await metrics.render(pool ? () => pool!.snapshots() : undefined)
              : new Response("Not found\n", { status: 404 }),
          shutdownTimeoutMs: 1_000,
          // A scraper or two; never a reason to spend the public listener's descriptors.
          limits: { ...limits, maxConnections: METRICS_MAX_CONNECTIONS },
          log: io.err,
          onConnections: (open) => metrics.openConnections.set({ listener: "metrics" }, open),
          onShed: () => metrics.shedConnections.inc({ listener: "metrics" }),
          onListen: (addr) => io.out(`Metrics on http://${addr.hostname}:${addr.port}/metrics`),
        }), io.err);
      // The console on a listener of its own: its cookies and paths never exist on the public one.
      const adminAddress = config.server.adminAddress;
      const adminHandler = runtime.adminHandler;
      const adminServer = adminAddress && adminHandler
        ? startMetrics(
          () =>
            startServer({
              listen: adminAddress,
              listenSetting: "server.admin_listen",
              handler: adminHandler,
              shutdownTimeoutMs: 1_000,
              limits: { ...limits, maxConnections: ADMIN_MAX_CONNECTIONS },
              log: io.err,
              onConnections: (open) => metrics.openConnections.set({ listener: "admin" }, open),
              onShed: () => metrics.shedConnections.inc({ listener: "admin" }),
              onListen: (addr) =>
                io.out(`Admin console on http://${addr.hostname}:${addr.port}/console`),
            }),
          io.err,
          "Admin console",
        )
        : null;
      const server = startServer({
        listen: config.server.listenAddress,
        listenSetting: "server.listen",
        handler: runtime.handler,
        shutdownTimeoutMs: config.server.shutdown_timeout_ms,
        limits,
        budget,
        log: io.err,
        onConnections: (open) => metrics.openConnections.set({ listener: "public" }, open),
        onShed: () => metrics.shedConnections.inc({ listener: "public" }),
        onAccept: () => metrics.acceptedConnections.inc({ isolate: "0" }),
        reusePort: isolates > 1,
        claimPort: true,
        onListen: (addr) => {
          io.out(
            `Listening on http://${addr.hostname}:${addr.port} (public URL ${config.server.publicUrl})`,
          );
          io.out(`Proxy hosts: <provider>.api.${config.server.base_domain}`);
        },
      });
      io.out(
        `Connections: up to ${server.limits.maxConnections}${
          isolates > 1 ? ` across ${isolates} serving isolates (counted together)` : ""
        }${
          config.server.max_connections
            ? " (server.max_connections)"
            : " (from the open-file limit)"
        }; open-file limit ${
          describeNofile(nofile)
        }; header timeout ${server.limits.headerTimeoutMs} ms, idle timeout ${server.limits.idleTimeoutMs} ms`,
      );
      let backlogWatch: ReturnType<typeof setInterval> | undefined;
      // SIGTERM/SIGINT: every isolate stops accepting at once and drains. Listened for before
      // the isolates start: a stop in the seconds they take must reach them too.
      let draining: Promise<void> | null = null;
      const drainPool = () => {
        if (pool && !draining) draining = pool.stop(config.server.shutdown_timeout_ms + 5_000);
      };
      Deno.addSignalListener("SIGTERM", drainPool);
      Deno.addSignalListener("SIGINT", drainPool);
      if (isolates > 1) {
        try {
          // Held before the isolates listen: a reload, forget or lockout in the seconds they
          // take to start reaches them (as a catch-up on listening) instead of being lost.
          pool = ServingPool.spawn({
            config,
            cwd: io.cwd(),
            port: server.addr.port,
            isolates,
            budget: budget.buffer,
            audit: (events, count, oldestAt) => runtime.audit?.recordJson(events, count, oldestAt),
            forget: (change) => runtime.forget(change),
            keyFailed: (address) => runtime.keyFailed(address),
            keyForgiven: (address, windowStart) => runtime.keyForgiven(address, windowStart),
            activeLockouts: () => runtime.activeLockouts(),
            log: io.err,
            securityPort: () => runtime.securityPort(),
          });
          await pool.started();
          if (draining) throw new Error("stopping");
          io.out(
            `Workers: ${isolates} serving isolates on port ${server.addr.port}${
              config.server.workers === "auto" ? " (auto: one per core)" : ""
            }`,
          );
          // The one writer's backlog stops every isolate's proxy: told as the limit is reached,
          // and polled for the way back (and for a writer backlogged downstream).
          const running = pool;
          if (runtime.audit) runtime.audit.onBacklogged = () => running.auditBacklogged(true);
          backlogWatch = setInterval(
            () => running.auditBacklogged(runtime.audit?.backlogged === true),
            BACKLOG_WATCH_MS,
          );
        } catch (error) {
          // Stopped while they started: the drain has them, the main listener is closing.
          if (!draining) {
            pool = null;
            // Alone, it has the open-file limit to itself (a configured total stays the total).
            server.setMaxConnections(
              config.server.max_connections ??
                defaultMaxConnections(readNofileLimit()?.soft ?? null, 1),
            );
            io.err(
              `Workers: serving on one isolate (${
                (error as Error).message
              }); connections: up to ${server.limits.maxConnections}`,
            );
          }
        }
      }
      await server.finished;
      clearInterval(backlogWatch);
      // Their last audit events reach the writer before it flushes.
      await (draining ?? pool?.stop(config.server.shutdown_timeout_ms + 5_000));
      Deno.removeSignalListener("SIGTERM", drainPool);
      Deno.removeSignalListener("SIGINT", drainPool);
      await stopReloads();
      await metricsServer?.shutdown();
      await adminServer?.shutdown();
      // Flush the audit buffer and stop webhook delivery before closing the database.
      await runtime.stop();
      appliance.close();
      io.out("Stopped");
    });
}

const METRICS_MAX_CONNECTIONS = 32;
const ADMIN_MAX_CONNECTIONS = 64;
const BACKLOG_WATCH_MS = 100;

function describeRules(set: RuleSet): string {
  return `Rules: ${set.rules.length} rule${
    set.rules.length === 1 ? "" : "s"
  }, ${set.scopes.length} scope${set.scopes.length === 1 ? "" : "s"} (hash ${
    set.hash.slice(0, 12)
  })`;
}

/**
 * SIGHUP re-reads the rules from the config file (`securix rules reload`
 * sends it, through the pid file). Calls in flight keep the rules they
 * started with; a broken file keeps the rules in force.
 */
function reloadOnHangup(
  runtime: Runtime,
  io: CliContext["io"],
  pidPath: string | null,
  onReloaded: (raw: Record<string, unknown>) => void,
): () => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  const reload = () => {
    running = running.then(async () => {
      const result = await runtime.reloadRules("sighup");
      if (result.ok) {
        if (result.raw) onReloaded(result.raw);
        io.out(`Reloaded. ${describeRules(result.set)}`);
      } else {
        io.err("Rules not reloaded; the rules in force stay. Fix securix.toml and reload again:");
        for (const issue of result.issues) io.err(`  ${issue.path}: ${issue.message}`);
      }
    }).catch((error) => io.err(`Rules not reloaded: ${(error as Error).message}`));
  };
  try {
    Deno.addSignalListener("SIGHUP", reload);
  } catch {
    return () => running; // No SIGHUP on this platform: `securix rules reload` says so.
  }
  if (pidPath) {
    try {
      Deno.writeTextFileSync(pidPath, `${Deno.pid}\n`, { mode: 0o600 });
    } catch (error) {
      io.err(
        `Pid file not written (${(error as Error).message}); reload with kill -HUP ${Deno.pid}`,
      );
      pidPath = null;
    }
  }
  return async () => {
    Deno.removeSignalListener("SIGHUP", reload);
    await running;
    if (pidPath) {
      try {
        if (Deno.readTextFileSync(pidPath).trim() === String(Deno.pid)) Deno.removeSync(pidPath);
      } catch {
        // Already gone: nothing to clean.
      }
    }
  };
}

function describeNofile(nofile: ReturnType<typeof raiseNofileLimit>): string {
  if (!nofile) return "unknown";
  const { before, after } = nofile;
  return after.soft > before.soft
    ? `${after.soft} (raised from ${before.soft})`
    : `${after.soft} (hard ${after.hard})`;
}

/** A metrics port already in use must not stop the appliance itself. */
function startMetrics(
  start: () => ReturnType<typeof startServer>,
  warn: (line: string) => void,
  what = "Metrics",
): ReturnType<typeof startServer> | null {
  try {
    return start();
  } catch (error) {
    warn(`${what} listener not started: ${(error as Error).message}`);
    return null;
  }
}
