import { type Command, Option } from "commander";
import { listApps, requireApp } from "../apps/app_store.ts";
import { connectionErrors } from "../connections/connection_errors.ts";
import { getConnection, listConnectionsPage } from "../connections/connection_store.ts";
import {
  type Connection,
  CONNECTION_STATUSES,
  type ConnectionStatus,
} from "../connections/connection_types.ts";
import { refreshNow } from "../connections/refresh_now.ts";
import { revokeConnectionCommand } from "../commands/revoke_connection.ts";
import { setConnectionPausedCommand } from "../commands/set_connection_paused.ts";
import type { Appliance } from "../http/appliance.ts";
import { type ProviderWiring, wireProviders } from "../providers/provider_registry.ts";
import { resolveProviders } from "../providers/resolve_providers.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { pageAfter, pagedListOptions, pageLimit, printList } from "./list_output.ts";

interface ListOptions {
  app?: string;
  entity?: string;
  provider?: string;
  status?: ConnectionStatus;
  json?: boolean;
  limit: string;
  cursor?: string;
}

/** A connection as the CLI shows it: who, what, when; never a token. */
function connectionRow(c: Connection, appName: string | null) {
  return {
    id: c.id,
    app: appName ?? c.appId,
    appId: c.appId,
    entity: c.entityId,
    provider: c.provider,
    status: c.status,
    account: c.account?.email ?? c.account?.name ?? c.account?.id ?? null,
    accountId: c.account?.id ?? null,
    scopes: c.scopes,
    created: isoTime(c.createdAt),
    updated: isoTime(c.updatedAt),
    expires: isoTime(c.credentialExpiresAt),
    // false: the token dies at `expires` and the user must connect again; null for older rows.
    refreshable: c.refreshable ?? null,
  };
}

/**
 * One provider wired as a serving process wires it (OIDC discovery
 * included); the others are left alone, so an unreachable issuer elsewhere
 * cannot stop work on this connection.
 */
export async function providerWiring(
  { config, now }: Appliance,
  provider: string,
): Promise<ProviderWiring> {
  const only = provider in config.providers ? { [provider]: config.providers[provider] } : {};
  return wireProviders(await resolveProviders(only), { now });
}

async function requireConnection(appliance: Appliance, id: string): Promise<Connection> {
  const connection = await getConnection(appliance.database.db, id);
  if (!connection) throw connectionErrors.notFound(id);
  return connection;
}

/**
 * `securix connections`: what users have connected, and the operator's
 * levers on one connection. Refresh and revoke go through the same code as a
 * serving appliance, so both are safe while it runs on the same database;
 * serving processes see a revoke or pause within their 2 s connection cache.
 */
export function registerConnections(program: Command, context: CliContext): void {
  const connections = program.command("connections").description(
    "list users' provider connections; refresh, revoke, pause or resume one",
  );
  const list = connections.command("list")
    .description("list connections (revoked ones only with --status revoked); never tokens")
    .option("--app <app>", "only this app (name or id)")
    .option("--entity <entityId>", "only this entity (the app's user id)")
    .option("--provider <name>", "only this provider")
    .addOption(new Option("--status <status>", "only this status").choices(CONNECTION_STATUSES));
  pagedListOptions(list).action(async (options: ListOptions) => {
    const limit = pageLimit(options.limit);
    await context.withAppliance(async ({ database }) => {
      const app = options.app ? await requireApp(database.db, options.app) : null;
      const names = new Map((await listApps(database.db)).map((a) => [a.id, a.name]));
      const page = await listConnectionsPage(database.db, {
        appId: app?.id,
        entityId: options.entity,
        provider: options.provider,
        status: options.status,
      }, { limit, after: pageAfter(options.cursor) });
      printList(context.io, options.json, {
        rows: page.connections.map((c) => connectionRow(c, names.get(c.appId) ?? null)),
        columns: [
          "id",
          "app",
          "entity",
          "provider",
          "status",
          "account",
          "scopes",
          "created",
          "expires",
          "refreshable",
        ],
        empty: "No connections",
        more: { what: "connections", next: page.next },
      });
    });
  });
  registerRefresh(connections, context);
  registerRevoke(connections, context);
  for (const paused of [true, false]) registerPause(connections, context, paused);
}

function registerRefresh(connections: Command, context: CliContext): void {
  connections.command("refresh <connectionId>")
    .description("refresh the access token now (safe while the appliance serves)")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const providers = await providerWiring(
          appliance,
          (await requireConnection(appliance, id)).provider,
        );
        const result = await refreshNow({
          ...appliance,
          refresherFor: providers.refresherFor,
          providerEnabled: (name) => providers.registry.enabled.has(name),
        }, id);
        const expiresAt = isoTime(result.expiresAt);
        if (options.json) {
          return printJson(context.io, { id, outcome: result.outcome, expiresAt });
        }
        context.io.out(
          result.outcome === "refreshed"
            ? `Refreshed ${id} (${result.connection.provider}); the token expires ${
              expiresAt ?? "never"
            }`
            : `Another appliance process refreshed ${id} just now; the token expires ${
              expiresAt ?? "never"
            }`,
        );
      });
    });
}

function registerRevoke(connections: Command, context: CliContext): void {
  connections.command("revoke <connectionId>")
    .description("revoke at the provider (when it can), delete the credential, notify the app")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const connection = await requireConnection(appliance, id);
        if (connection.status === "revoked") {
          throw connectionErrors.state(connection, "revoke", "there is nothing left to revoke");
        }
        const providers = await providerWiring(appliance, connection.provider);
        const supported = Boolean(providers.registry.enabled.get(connection.provider)?.revoke) &&
          connection.credentialId !== null;
        const { providerRevoked } = await revokeConnectionCommand(
          context.commands(appliance),
          providers.registry,
          connection,
        );
        const atProvider = providerRevoked ? "confirmed" : supported ? "failed" : "unsupported";
        if (options.json) {
          return printJson(context.io, { id, status: "revoked", providerRevocation: atProvider });
        }
        context.io.out(`Revoked ${id} (${connection.provider}); the credential is deleted`);
        context.io.out(
          {
            confirmed: `${connection.provider} confirmed the revocation`,
            failed:
              `${connection.provider} did not confirm the revocation; the user may also remove the app in their ${connection.provider} account`,
            unsupported: `${connection.provider} was not told: it has no revocation endpoint here`,
          }[atProvider],
        );
      });
    });
}

function registerPause(connections: Command, context: CliContext, paused: boolean): void {
  const verb = paused ? "pause" : "resume";
  connections.command(`${verb} <connectionId>`)
    .description(
      paused
        ? "keep the credential but refuse proxied requests (SX-PAUSED) until resumed"
        : "let a paused connection be used again",
    )
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const connection = await requireConnection(appliance, id);
        await setConnectionPausedCommand(context.commands(appliance), connection, paused);
        const status = paused ? "paused" : "active";
        if (options.json) return printJson(context.io, { id, status });
        context.io.out(`${paused ? "Paused" : "Resumed"} ${id} (${connection.provider})`);
      });
    });
}
