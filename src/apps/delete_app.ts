import { removeAppAgents } from "../agents/agent_store.ts";
import type { Actor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import { listConnections } from "../connections/connection_store.ts";
import type { Connection } from "../connections/connection_types.ts";
import { revokeConnection } from "../connections/revoke_connection.ts";
import type { Database } from "../db/client.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { failOpenSessions } from "../flows/session_store.ts";
import type { VaultStore } from "../vault/store.ts";
import { removeAppEndpoints } from "../webhooks/endpoint_store.ts";
import type { ConnectionFate } from "./app_input.ts";
import { type App, markAppDeleted, requireApp } from "./app_store.ts";
import { revokeAppKeys } from "./key_store.ts";

export interface DeleteAppDeps {
  database: Database;
  vault: VaultStore;
  /** Providers able to revoke the app's connections (may lack any that cannot be reached). */
  providers: ProviderRegistry;
  now: () => number;
  by: Actor;
  onRevoked?: (connection: Connection) => void;
  /**
   * Called once the keys are revoked and the app marked deleted (committed),
   * before its connections are revoked: to drop cached keys and agents at once.
   */
  afterCommit?: (app: App) => void;
}

export interface DeleteAppResult {
  app: App;
  keysRevoked: number;
  agentsRemoved: number;
  webhooksRemoved: number;
  sessionsFailed: number;
  connections: ConnectionFate;
  /** Connections revoked here, and how many of those the provider confirmed. */
  connectionsRevoked: number;
  providerConfirmed: number;
  /** Connections left as they are (`keep`): listed and revocable one by one later. */
  connectionsKept: number;
}

/**
 * Deletes an app: in one transaction its keys are revoked, agents and
 * webhooks removed, open auth sessions failed and the app marked deleted,
 * with one `admin.app.deleted` record; then its users' connections are
 * revoked (at the provider where it can) or kept. Keys go first so nothing
 * new can start while connections are being revoked. The command behind
 * `securix apps delete`, written for an admin API or console to call too.
 */
export async function deleteApp(
  deps: DeleteAppDeps,
  idOrName: string,
  options: { connections: ConnectionFate },
): Promise<DeleteAppResult> {
  const { app, keysRevoked, agentsRemoved, endpoints, sessionsFailed } = await deps.database
    .transaction(async (tx) => {
      const app = await requireApp(tx, idOrName);
      const at = deps.now();
      const keysRevoked = await revokeAppKeys(tx, app.id, at);
      const agentsRemoved = await removeAppAgents(tx, app.id);
      const endpoints = await removeAppEndpoints(tx, app.id);
      const sessionsFailed = await failOpenSessions(tx, app.id, "app_deleted", at);
      await markAppDeleted(tx, app, at);
      await recordAdminEvent(tx, {
        kind: "admin.app.deleted",
        by: deps.by,
        appId: app.id,
        data: {
          name: app.name,
          connections: options.connections,
          keysRevoked,
          agentsRemoved,
          webhooksRemoved: endpoints.endpointIds.length,
          sessionsFailed,
        },
      }, at);
      return { app, keysRevoked, agentsRemoved, endpoints, sessionsFailed };
    });
  deps.afterCommit?.(app);
  // Secrets go after the rows: a failure here leaves an unused vault record, not a live endpoint.
  for (const secretId of endpoints.secretIds) await deps.vault.delete(secretId);
  const connections = await listConnections(deps.database.db, { appId: app.id });
  let connectionsRevoked = 0;
  let providerConfirmed = 0;
  if (options.connections === "revoke") {
    for (const connection of connections) {
      const { providerRevoked } = await revokeConnection(deps, connection, { by: deps.by });
      connectionsRevoked++;
      if (providerRevoked) providerConfirmed++;
    }
  }
  return {
    app,
    keysRevoked,
    agentsRemoved,
    webhooksRemoved: endpoints.endpointIds.length,
    sessionsFailed,
    connections: options.connections,
    connectionsRevoked,
    providerConfirmed,
    connectionsKept: options.connections === "keep" ? connections.length : 0,
  };
}
