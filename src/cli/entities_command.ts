import * as p from "@clack/prompts";
import type { Command } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { eraseEntityCommand } from "../commands/erase_entity.ts";
import { listConnections } from "../connections/connection_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { ENTITY_ID, textProblem } from "../identifiers/identifier.ts";
import { revocationProviders } from "./apps_command.ts";
import type { CliContext } from "./context.ts";
import { printJson } from "./io.ts";

/**
 * `securix entities erase`: a data-protection erasure of one end user of one
 * app, the same command as `DELETE /v1/entities/{entityId}`. It cannot be
 * undone, so it asks on a terminal and, without one, runs only with --yes.
 */
export function registerEntities(program: Command, context: CliContext): void {
  const entities = program.command("entities").description(
    "an app's end users: erase everything held about one (data-protection requests)",
  );
  entities.command("erase <app> <entityId>")
    .description(
      "revoke the entity's connections, delete its portal choices, sessions, MCP URLs and held approvals; audited",
    )
    .option("--yes", "do not ask for confirmation (needed without a terminal)")
    .option("--json", "print JSON")
    .action(async (ref: string, entityId: string, options: { yes?: boolean; json?: boolean }) => {
      const problem = textProblem(entityId, ENTITY_ID);
      if (problem) throw new SecurixError("SX-INVALID-INPUT", `entityId: ${problem}`);
      if (!options.yes && !Deno.stdin.isTerminal()) {
        throw new SecurixError(
          "SX-INVALID-INPUT",
          "Cannot erase without confirmation: no terminal to ask on; pass --yes",
        );
      }
      await context.withAppliance(async (appliance) => {
        const app = await requireApp(appliance.database.db, ref);
        const connections = await listConnections(appliance.database.db, {
          appId: app.id,
          entityId,
        });
        if (!options.yes) {
          const answer = await p.confirm({
            message:
              `Erase entity ${entityId} of app ${app.name}, revoking its ${connections.length} connection(s)? This cannot be undone`,
            initialValue: false,
          });
          if (answer !== true) return context.io.err("Nothing erased");
        }
        const providers = await revocationProviders(
          appliance,
          new Set(connections.map((c) => c.provider)),
          context.io.err,
        );
        const result = await eraseEntityCommand(context.commands(appliance), providers, {
          appId: app.id,
          entityId,
        });
        if (options.json) return printJson(context.io, { entityId, erased: true, ...result });
        context.io.out(`Erased entity ${entityId} of app ${app.name}`);
        context.io.out(
          `Revoked ${result.connectionsRevoked} connection(s) (${result.providerConfirmed} confirmed by the provider); deleted ${result.portalChoices} portal choice(s), ${result.portalSessions} portal session(s), ${result.portalLinks} portal link(s), ${result.authSessions} auth session(s), ${result.mcpUrls} MCP URL(s), ${result.approvals} approval(s)`,
        );
      });
    });
}
