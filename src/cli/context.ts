import type { Command } from "commander";
import { type Actor, cliActor } from "../audit/actor.ts";
import { type Config, loadConfig } from "../config/load.ts";
import { type Appliance, openAppliance } from "../http/appliance.ts";
import type { CommandContext } from "../commands/command_context.ts";
import type { CliIo } from "./io.ts";
import { serverHoldsVault } from "../vault/vault_presence.ts";

/** What every command gets: IO, and config/appliance loading honouring --config. */
export class CliContext {
  constructor(readonly io: CliIo, private readonly program: Command) {}

  configPath(): string | null {
    return (this.program.opts().config as string | undefined) ?? null;
  }

  /**
   * Loads the config; unknown SECURIX_* variables are warned about here, once per command.
   * `create`: only `serve` makes a data directory and master key where there are none.
   */
  async config(
    options: { create?: boolean } = {},
  ): Promise<{ config: Config; notes: string[]; warnings: string[] }> {
    const { config, notes, warnings } = await loadConfig({
      path: this.configPath(),
      env: this.io.env,
      envNames: this.io.envNames,
      cwd: this.io.cwd(),
      create: options.create === true,
      // A fresh install on a libSQL server gets its key too, unless the server holds a vault.
      serverHoldsVault,
    });
    for (const warning of warnings) this.io.err(warning);
    // Printed already; serve hands them to its reloads, which repeat none of them.
    return { config, notes, warnings };
  }

  /** Who the audit log names for changes made by this command. */
  actor(): Actor {
    return cliActor(this.io.env);
  }

  /**
   * The admin commands' context: the CLI's actor and no after-commit hooks
   * (serving processes drop their caches when the short TTLs run out).
   */
  commands(appliance: Pick<Appliance, "database" | "vault" | "now">): CommandContext {
    const { database, vault, now } = appliance;
    return { database, vault, now, by: this.actor(), after: {} };
  }

  /** Opens the appliance for one command and always closes it. */
  async withAppliance<T>(fn: (appliance: Appliance) => Promise<T>): Promise<T> {
    const { config, notes } = await this.config();
    for (const note of notes) this.io.err(note);
    const appliance = await openAppliance(config, {
      onBackup: (path) => this.io.err(`Backup before migrating: ${path}`),
    });
    try {
      return await fn(appliance);
    } finally {
      appliance.close();
    }
  }
}
