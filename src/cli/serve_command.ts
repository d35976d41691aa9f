import type { Command } from "commander";
import { createApp } from "../http/app.ts";
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
        onMigrated: (names) => {
          if (names.length > 0) io.out(`Applied migrations: ${names.join(", ")}`);
        },
      });
      io.out(
        `Database: ${config.database.filePath ?? config.database.url}${
          config.database.filePath ? " (encrypted)" : ""
        }`,
      );
      const app = createApp(appliance, { log: io.err });
      const server = startServer({
        listen: config.server.listenAddress,
        handler: app.fetch,
        shutdownTimeoutMs: config.server.shutdown_timeout_ms,
        onListen: (addr) => {
          io.out(
            `Listening on http://${addr.hostname}:${addr.port} (public URL ${config.server.publicUrl})`,
          );
          io.out(`Proxy hosts: <provider>.api.${config.server.base_domain}`);
        },
      });
      await server.finished;
      appliance.close();
      io.out("Stopped");
    });
}
