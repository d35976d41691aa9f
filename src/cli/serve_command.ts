import type { Command } from "commander";
import { createRuntime } from "../http/runtime.ts";
import { openAppliance } from "../http/appliance.ts";
import { startServer } from "../http/serve.ts";
import type { CliContext } from "./context.ts";
import { VERSION } from "./version.ts";

export function registerServe(program: Command, context: CliContext): void {
  program.command("serve")
    .description("run the appliance (on embedded defaults when no config file is found)")
    .action(async () => {
      const { io } = context;
      const { config, notes } = await context.config();
      io.out(`Securix ${VERSION}`);
      io.out(`Config: ${config.source ?? "embedded defaults (no securix.toml found)"}`);
      for (const note of notes) io.out(note);
      const appliance = await openAppliance(config, {
        create: true,
        onMigrated: (names) => {
          if (names.length > 0) io.out(`Applied migrations: ${names.join(", ")}`);
        },
      });
      io.out(
        `Database: ${config.database.filePath ?? config.database.url}${
          config.database.filePath ? " (encrypted)" : ""
        }`,
      );
      const runtime = await createRuntime(appliance, { log: io.err });
      runtime.start();
      const metricsServer = startMetrics(() =>
        startServer({
          listen: config.server.metricsAddress,
          handler: async (req) =>
            new URL(req.url).pathname === "/metrics"
              ? await runtime.metrics.render()
              : new Response("Not found\n", { status: 404 }),
          shutdownTimeoutMs: 1_000,
          onListen: (addr) => io.out(`Metrics on http://${addr.hostname}:${addr.port}/metrics`),
        }), io.err);
      const server = startServer({
        listen: config.server.listenAddress,
        handler: runtime.handler,
        shutdownTimeoutMs: config.server.shutdown_timeout_ms,
        onListen: (addr) => {
          io.out(
            `Listening on http://${addr.hostname}:${addr.port} (public URL ${config.server.publicUrl})`,
          );
          io.out(`Proxy hosts: <provider>.api.${config.server.base_domain}`);
        },
      });
      await server.finished;
      await metricsServer?.shutdown();
      // Flush the audit buffer and stop webhook delivery before closing the database.
      await runtime.stop();
      appliance.close();
      io.out("Stopped");
    });
}

/** A metrics port already in use must not stop the appliance itself. */
function startMetrics(
  start: () => ReturnType<typeof startServer>,
  warn: (line: string) => void,
): ReturnType<typeof startServer> | null {
  try {
    return start();
  } catch (error) {
    warn(`Metrics listener not started: ${(error as Error).message}; set [server] metrics_listen`);
    return null;
  }
}
