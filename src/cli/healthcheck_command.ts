import type { Command } from "commander";
import type { ListenAddress } from "../config/load.ts";
import { CliExit } from "./cli_exit.ts";
import { loadConfigWithoutKey } from "./config_without_key.ts";
import type { CliContext } from "./context.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { terminalText } from "./terminal_text.ts";

/**
 * The URL of this config's `/healthz` as seen from the same host: an address that listens on
 * every interface is asked on loopback.
 */
export function healthzUrl(listen: ListenAddress): string {
  const host = listen.hostname === "0.0.0.0" || listen.hostname === ""
    ? "127.0.0.1"
    : listen.hostname === "::" || listen.hostname === "[::]"
    ? "[::1]"
    : listen.hostname.includes(":") && !listen.hostname.startsWith("[")
    ? `[${listen.hostname}]`
    : listen.hostname;
  return `http://${host}:${listen.port}/healthz`;
}

/**
 * `securix healthcheck`: exit 0 when the serve of this config answers `GET /healthz` with 200,
 * 1 otherwise. For a container's HEALTHCHECK (the image has no curl) or a monitor; it needs
 * no master key and does not open the database.
 */
export function registerHealthcheck(program: Command, context: CliContext): void {
  program.command("healthcheck")
    .description("exit 0 when serve answers GET /healthz on this config's listen address")
    .option("--timeout <ms>", "how long to wait for the answer", "3000")
    .action(async (options: { timeout: string }) => {
      const { config } = await loadConfigWithoutKey({
        path: context.configPath(),
        env: context.io.env,
        cwd: context.io.cwd(),
      });
      const timeout = Number(options.timeout);
      if (!Number.isInteger(timeout) || timeout <= 0) {
        throw new SecurixError(
          "SX-INVALID-INPUT",
          `--timeout must be a whole number of milliseconds above 0, got "${
            terminalText(options.timeout)
          }"`,
        );
      }
      const url = healthzUrl(config.server.listenAddress);
      try {
        const res = await fetch(url, {
          signal: AbortSignal.timeout(timeout),
        });
        await res.body?.cancel();
        if (res.status === 200) {
          context.io.out(`ok: ${url} answered 200`);
          return;
        }
        context.io.err(`unhealthy: ${url} answered ${res.status}`);
      } catch (error) {
        context.io.err(`unhealthy: ${url}: ${(error as Error).message}`);
      }
      throw new CliExit(1);
    });
}
