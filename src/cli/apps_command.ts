import * as p from "@clack/prompts";
import { type Command, Option } from "commander";
import { CONNECTION_FATES, type ConnectionFate } from "../apps/app_input.ts";
import { listApps, requireApp } from "../apps/app_store.ts";
import { createAppCommand } from "../commands/create_app.ts";
import { deleteAppCommand } from "../commands/delete_app.ts";
import { updateAppCommand } from "../commands/update_app.ts";
import { listConnections } from "../connections/connection_store.ts";
import type { FlowProvider } from "../flows/flow_provider.ts";
import type { Appliance } from "../http/appliance.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { providerWiring } from "./connections_command.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerApps(program: Command, context: CliContext): void {
  const apps = program.command("apps").description(
    "manage apps (the products that use this appliance)",
  );
  apps.command("create <name>")
    .description("create an app and its first API key (shown once)")
    .option("--origin <url>", "web origin allowed to run the popup flow (repeatable)", collect, [])
    .option("--json", "print JSON")
    .action(async (name: string, options: { origin: string[]; json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const { app, record, secret } = await createAppCommand(context.commands(appliance), {
          name,
          origins: options.origin,
        });
        const { io } = context;
        if (options.json) {
          printJson(io, {
            app: { ...app, createdAt: isoTime(app.createdAt) },
            apiKey: { id: record.id, key: secret },
          });
          return;
        }
        io.out(`Created app ${app.name} (${app.id})`);
        io.out(`Origins: ${app.origins.join(", ") || "none (add one to use the popup flow)"}`);
        io.out(`API key ${record.id}:`);
        io.out(`  ${secret}`);
        io.out("Store it now: it is shown only once. Send it as the securix-api-key header.");
      });
    });
  apps.command("list")
    .description("list apps")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const rows = (await listApps(database.db)).map((a) => ({
          ...a,
          createdAt: isoTime(a.createdAt),
        }));
        printList(context.io, options.json, {
          rows,
          columns: ["id", "name", "origins", "credentialRelease", "approvalsViaApi", "createdAt"],
          empty: 'No apps yet; create one with "securix apps create NAME"',
        });
      });
    });
  apps.command("show <app>")
    .description("show one app: origins and whether it may receive credentials")
    .option("--json", "print JSON")
    .action(async (ref: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const app = await requireApp(database.db, ref);
        if (options.json) {
          return printJson(context.io, { ...app, createdAt: isoTime(app.createdAt) });
        }
        const { io } = context;
        io.out(`App ${app.name} (${app.id})`);
        io.out(`Origins: ${app.origins.join(", ") || "none"}`);
        io.out(
          `Credential release: ${
            app.credentialRelease
              ? "allowed (GET /v1/token answers; audited, subject to rules)"
              : "off (agents use the proxy; GET /v1/token answers SX-RELEASE-DISABLED)"
          }`,
        );
        io.out(`API approvals: ${apiApprovalsText(app.approvalsViaApi)}`);
        io.out(`Created: ${isoTime(app.createdAt)}`);
      });
    });
  registerUpdate(apps, context);
  registerDelete(apps, context);
}

function apiApprovalsText(on: boolean): string {
  return on
    ? "allowed (the app key decides held calls, never the agent that made the call)"
    : "off (POST /v1/approvals/{id} answers SX-APPROVAL-API-DISABLED)";
}

function registerUpdate(apps: Command, context: CliContext): void {
  apps.command("update <app>")
    .description("rename an app, or allow or remove web origins (keys and connections stay)")
    .option("--origin <url>", "allow this web origin too (repeatable)", collect, [])
    .option("--remove-origin <url>", "stop allowing this web origin (repeatable)", collect, [])
    .option("--name <new>", "new name")
    .option(
      "--allow-credential-release",
      "let GET /v1/token hand this app its users' credentials (audited, subject to rules)",
    )
    .option("--no-allow-credential-release", "stop releasing credentials (the default)")
    .option(
      "--allow-api-approvals",
      "let this app's API key decide its held calls (POST /v1/approvals/{id}); an agent holds that key too",
    )
    .option(
      "--no-allow-api-approvals",
      "decide held calls only by link, console, Trust Portal or CLI (the default)",
    )
    .option("--json", "print JSON")
    .action(
      async (
        ref: string,
        options: {
          origin: string[];
          removeOrigin: string[];
          name?: string;
          allowCredentialRelease?: boolean;
          allowApiApprovals?: boolean;
          json?: boolean;
        },
      ) => {
        await context.withAppliance(async (appliance) => {
          const { app } = await updateAppCommand(context.commands(appliance), ref, {
            name: options.name,
            addOrigins: options.origin,
            removeOrigins: options.removeOrigin,
            credentialRelease: options.allowCredentialRelease,
            approvalsViaApi: options.allowApiApprovals,
          });
          if (options.json) {
            return printJson(context.io, { ...app, createdAt: isoTime(app.createdAt) });
          }
          context.io.out(`Updated app ${app.name} (${app.id})`);
          context.io.out(`Origins: ${app.origins.join(", ") || "none"}`);
          context.io.out(
            `Credential release: ${
              app.credentialRelease ? "allowed (GET /v1/token answers)" : "off"
            }`,
          );
          context.io.out(`API approvals: ${apiApprovalsText(app.approvalsViaApi)}`);
        });
      },
    );
}

/**
 * The providers the app's connections use, each wired on its own: one that
 * cannot be reached is left out (its connections are still revoked here,
 * only not at the provider) rather than stopping the deletion.
 */
export async function revocationProviders(
  appliance: Appliance,
  names: Set<string>,
  warn: (text: string) => void,
): Promise<ProviderRegistry> {
  const enabled = new Map<string, FlowProvider>();
  const known = new Set<string>();
  for (const name of names) {
    try {
      const { registry } = await providerWiring(appliance, name);
      for (const [key, value] of registry.enabled) enabled.set(key, value);
      for (const key of registry.known) known.add(key);
    } catch (error) {
      warn(
        `Warning: provider ${name} is unavailable (${
          error instanceof Error ? error.message : String(error)
        }); its connections are revoked here but not at ${name}`,
      );
    }
  }
  return { enabled, known };
}

function registerDelete(apps: Command, context: CliContext): void {
  apps.command("delete <app>")
    .description(
      "delete an app: revoke its keys, remove its agents and webhooks, and revoke (default) or keep its users' connections",
    )
    .addOption(
      new Option("--connections <fate>", "revoke: at the provider where possible; keep: leave them")
        .choices(CONNECTION_FATES).default("revoke"),
    )
    .option("--yes", "do not ask for confirmation on a terminal")
    .option("--json", "print JSON")
    .action(
      async (
        ref: string,
        options: { connections: ConnectionFate; yes?: boolean; json?: boolean },
      ) => {
        await context.withAppliance(async (appliance) => {
          const app = await requireApp(appliance.database.db, ref);
          const connections = await listConnections(appliance.database.db, { appId: app.id });
          if (!options.yes && Deno.stdin.isTerminal()) {
            const answer = await p.confirm({
              message: `Delete app ${app.name}, its keys, agents and webhooks, and ${
                options.connections === "revoke" ? "revoke" : "keep"
              } its ${connections.length} connection(s)?`,
              initialValue: false,
            });
            if (answer !== true) {
              context.io.err("Nothing deleted");
              return;
            }
          }
          const providers = options.connections === "revoke"
            ? await revocationProviders(
              appliance,
              new Set(connections.map((c) => c.provider)),
              context.io.err,
            )
            : { enabled: new Map(), known: new Set<string>() };
          const result = await deleteAppCommand(
            context.commands(appliance),
            providers,
            app.id,
            { connections: options.connections },
          );
          if (options.json) {
            const { app: _app, ...counts } = result;
            return printJson(context.io, { id: app.id, name: app.name, deleted: true, ...counts });
          }
          const io = context.io;
          io.out(`Deleted app ${app.name} (${app.id})`);
          io.out(
            `Revoked ${result.keysRevoked} key(s); removed ${result.agentsRemoved} agent(s) and ${result.webhooksRemoved} webhook(s); failed ${result.sessionsFailed} open session(s)`,
          );
          if (options.connections === "revoke") {
            io.out(
              `Revoked ${result.connectionsRevoked} connection(s); ${result.providerConfirmed} confirmed by the provider`,
            );
          } else {
            io.out(
              `Kept ${result.connectionsKept} connection(s); see "securix connections list" and revoke them with "securix connections revoke ID"`,
            );
          }
        });
      },
    );
}
