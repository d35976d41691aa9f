import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config_error.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { CliContext } from "./context.ts";
import { type CliIo, processIo, terminalIo } from "./io.ts";
import { registerServe } from "./serve_command.ts";
import { registerMigrate } from "./migrate_command.ts";
import { registerApps } from "./apps_command.ts";
import { registerKeys } from "./keys_command.ts";
import { registerVault } from "./vault_command.ts";
import { registerInit } from "./init_command.ts";
import { registerDoctor } from "./doctor_command.ts";
import { registerAgents } from "./agents_command.ts";
import { registerConnections } from "./connections_command.ts";
import { registerEntities } from "./entities_command.ts";
import { registerWebhooks } from "./webhooks_command.ts";
import { registerAudit } from "./audit_command.ts";
import { registerProviders } from "./providers_command.ts";
import { registerRules } from "./rules_command.ts";
import { CliExit } from "./cli_exit.ts";
import { registerVersion } from "./version_command.ts";
import { registerHealthcheck } from "./healthcheck_command.ts";
import { registerBackup, registerRestore } from "./backup_command.ts";
import { registerService } from "./service_command.ts";
import { registerMcp } from "./mcp_command.ts";
import { registerAnomalies } from "./anomalies_command.ts";
import { registerApprovals } from "./approvals_command.ts";
import { registerAdmins } from "./admins_command.ts";
import { registerSessions } from "./sessions_command.ts";

/** Builds the `securix` program; every command registers itself from its own file. */
export function buildProgram(raw: CliIo): { program: Command; context: CliContext } {
  const io = terminalIo(raw);
  const program = new Command("securix")
    .description("Securix appliance: an agent access security broker")
    .option(
      "-c, --config <path>",
      "config file (else $SECURIX_CONFIG, else ./securix.toml, else embedded defaults)",
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });
  const context = new CliContext(io, program);
  for (
    const register of [
      registerVersion,
      registerServe,
      registerInit,
      registerMigrate,
      registerDoctor,
      registerHealthcheck,
      registerApps,
      registerKeys,
      registerAgents,
      registerConnections,
      registerSessions,
      registerEntities,
      registerWebhooks,
      registerAudit,
      registerProviders,
      registerRules,
      registerAnomalies,
      registerVault,
      registerBackup,
      registerRestore,
      registerService,
      registerMcp,
      registerApprovals,
      registerAdmins,
    ]
  ) {
    register(program, context);
  }
  overrideExits(program);
  return { program, context };
}

function overrideExits(command: Command): void {
  for (const sub of command.commands) {
    sub.exitOverride();
    overrideExits(sub);
  }
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 bad config or
 * usage, or what a command chose (CliExit: `rules test` answers 3 for a deny).
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const { program } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    return reportError(terminalIo(io), error);
  }
}

function reportError(io: CliIo, error: unknown): number {
  if (error instanceof CliExit) return error.exitCode;
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ConfigError) {
    io.err(error.message);
    return 2;
  }
  if (error instanceof SecurixError) {
    io.err(`Error ${error.code}: ${error.message}`);
    return 1;
  }
  io.err(`Unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}
