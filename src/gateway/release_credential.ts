import { anomalyErrors } from "../anomalies/anomaly_errors.ts";
import type { Anomaly } from "../anomalies/anomaly_types.ts";
import type { App } from "../apps/app_store.ts";
import type { Actor } from "../audit/actor.ts";
import { recordAuthEvent } from "../audit/auth_event.ts";
import { connectionErrors } from "../connections/connection_errors.ts";
import { connectionRefusal, refusalError } from "../connections/connection_refusal.ts";
import { getConnection } from "../connections/connection_store.ts";
import type { Connection, StoredCredential } from "../connections/connection_types.ts";
import { readStoredCredential } from "../connections/stored_credential.ts";
import type { Database, Db } from "../db/client.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import type { EntityChoicesLookup } from "../rules/entity_choices.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { VaultStore } from "../vault/store.ts";
import { GATEWAY_REFUSALS, gatewayErrors } from "./gateway_errors.ts";
import { releaseDecision } from "./release_rules.ts";
import { type ReleasePayload, releasePayload } from "./release_payload.ts";
import type { AgentMismatch } from "../proxy/proxy_errors.ts";

export interface ReleaseDeps {
  database: Database;
  vault: VaultStore;
  now: () => number;
  /** The serving process's credential source: the proxy's cache and single-flight refresh. */
  credentials: {
    get(
      connection: Connection,
      rejected?: string | null,
    ): StoredCredential | Promise<StoredCredential>;
  };
  rules: () => RuleSet;
  /** A provider's family, as rule targets may name it (`google` for gmail). */
  familyOf: (provider: string) => string;
  /** Whether the operator enables the provider: a disabled one is served by neither the proxy nor a release. */
  enabled: (provider: string) => boolean;
  /** Each entity's Trust Portal choices (scopes off, hidden labels/folders); none without a portal. */
  entityChoices?: EntityChoicesLookup;
  /**
   * The anomaly block in force on a connection (the proxy's, of either class),
   * if any; none without a proxy in this process.
   */
  anomalyBlock?: (connectionId: string) => Promise<Anomaly | null>;
}

export interface Releaser {
  app: App;
  by: Actor;
  /**
   * `securix-agent-id` when the caller sent one (a registered agent of the app):
   * rules scoped to agents see it; without one, every agent-scoped refusal applies.
   */
  agentId: string | null;
}

/** One of the app's connections; another app's, a revoked or unknown id: the same 404. */
export async function ownConnection(db: Db, app: App, id: string): Promise<Connection> {
  const connection = await getConnection(db, id);
  if (!connection || connection.appId !== app.id || connection.status === "revoked") {
    throw gatewayErrors.connectionNotFound();
  }
  return connection;
}

/**
 * `GET /v1/token/{id}` (and `POST /v1/refresh/{id}` with `force`): the
 * connection's credential, for an app an operator allowed to receive it,
 * after the rules (a rule on `<provider>.credential_release` decides as on any
 * proxied call), with an audit record of who took which credential.
 */
export async function releaseCredential(
  deps: ReleaseDeps,
  who: Releaser,
  connection: Connection,
  options: { force: boolean },
): Promise<ReleasePayload> {
  if (!who.app.credentialRelease) throw gatewayErrors.releaseDisabled(who.app.name);
  served(deps, connection);
  usable(connection);
  await checkBlocks(deps, who, connection);
  const matched = await checkRules(deps, who, connection);
  const credential = options.force
    ? await forceRefresh(deps, connection)
    : await deps.credentials.get(connection);
  const now = deps.now();
  await deps.database.transaction((tx) =>
    recordAuthEvent(tx, {
      kind: "connection.credential_released",
      appId: connection.appId,
      agentId: who.agentId,
      entityId: connection.entityId,
      provider: connection.provider,
      data: {
        connectionId: connection.id,
        by: who.by.actor,
        agentId: who.agentId,
        refreshed: options.force,
        expiresAt: credential.expiresAt ?? null,
        rules: matched,
      },
      webhook: null,
    }, now)
  );
  return releasePayload(credential, now);
}

/** `POST /v1/refresh/{id}` for an app without release: the refresh happens, nothing leaves. */
export async function refreshOnly(
  deps: ReleaseDeps,
  connection: Connection,
): Promise<{ status: "active"; expires_at: number | null }> {
  served(deps, connection);
  usable(connection);
  const credential = await forceRefresh(deps, connection);
  return {
    status: "active",
    expires_at: credential.expiresAt == null ? null : Math.floor(credential.expiresAt / 1000),
  };
}

/**
 * A provider no longer enabled has no route at the proxy, and its family is unknown, so
 * `google.*` rules would silently stop applying to a release: refused as the proxy refuses it.
 */
function served(deps: ReleaseDeps, connection: Connection): void {
  if (!deps.enabled(connection.provider)) {
    throw gatewayErrors.providerNotServed(connection.provider);
  }
}

/** Refused with the code and status the proxy gives the same connection status. */
export function usable(connection: Connection): void {
  const refusal = connectionRefusal(connection.status, connection.provider, GATEWAY_REFUSALS);
  if (refusal) throw refusal;
}

/**
 * An anomaly block on the connection refuses its release with the proxy's own
 * refusal (SX-403, `anomaly_detected`): a block stops delete- or read-class
 * calls, and the released token could make either, out of the detectors' sight.
 */
async function checkBlocks(deps: ReleaseDeps, who: Releaser, connection: Connection) {
  const anomaly = await deps.anomalyBlock?.(connection.id) ?? null;
  if (anomaly === null) return;
  const refusal = anomalyErrors.blocked(anomaly);
  await auditRefusal(deps, who, connection, refusal, [], {
    anomalyId: anomaly.id,
    detector: anomaly.detector,
  });
  throw refusal;
}

/** releaseDecision for this release; a refusal is audited, then thrown. */
async function checkRules(
  deps: ReleaseDeps,
  who: Releaser,
  connection: Connection,
): Promise<readonly string[]> {
  const { refusal: by, matched } = releaseDecision(deps.rules(), {
    appName: who.app.name,
    agentId: who.agentId,
    entityId: connection.entityId,
    provider: connection.provider,
    family: deps.familyOf(connection.provider),
    connectionId: connection.id,
  }, deps.entityChoices?.(connection.appId, connection.entityId) ?? null);
  if (!by) return matched;
  const refusal = gatewayErrors.releaseRefused(connection.provider, by);
  // Which rule or scope refused, and whose (the operator's file or the user's portal).
  await auditRefusal(deps, who, connection, refusal, matched, refusal.details);
  throw refusal;
}

/**
 * A bound key named another agent: audited as a refused release (by the
 * key's own agent, with the id it claimed), then refused, whatever `id`
 * names: an unknown or another app's id gets the same 403, so the refusal
 * comes before anything else. The connection is read only so the record
 * says whose credential was asked for.
 */
export async function refuseAgentMismatch(
  deps: ReleaseDeps,
  who: Releaser,
  id: string,
  mismatch: AgentMismatch,
): Promise<never> {
  const found = await getConnection(deps.database.db, id);
  const own = found?.appId === who.app.id ? found : null;
  const asked = own ?? { id: null, appId: who.app.id, entityId: null, provider: null };
  await auditRefusal(deps, who, asked, mismatch, [], { sentAgentId: mismatch.sentAgentId });
  throw mismatch;
}

/** What a refused release asked for: a connection, or only the app when the id named none of its own. */
type Asked = Pick<Connection, "appId"> & {
  id: string | null;
  entityId: string | null;
  provider: string | null;
};

/** One `connection.credential_release_denied` record: who asked, the code, what refused. */
async function auditRefusal(
  deps: ReleaseDeps,
  who: Releaser,
  connection: Asked,
  refusal: SecurixError,
  rules: readonly string[],
  refusedBy: unknown,
): Promise<void> {
  await deps.database.transaction((tx) =>
    recordAuthEvent(tx, {
      kind: "connection.credential_release_denied",
      appId: connection.appId,
      agentId: who.agentId,
      entityId: connection.entityId,
      provider: connection.provider,
      data: {
        connectionId: connection.id,
        by: who.by.actor,
        agentId: who.agentId,
        code: refusal.code,
        rules,
        refusedBy,
      },
      webhook: null,
    }, deps.now())
  );
}

/**
 * Refreshes through the shared credential source, naming the current access
 * token as rejected: the same single flight (and cross-process lease) the
 * proxy's 401 retry uses, so a refresh token is presented once.
 */
async function forceRefresh(deps: ReleaseDeps, connection: Connection): Promise<StoredCredential> {
  const stored = await readStoredCredential(deps.vault, connection);
  if (!stored) throw connectionErrors.refreshUnsupported(connection, "no credential is stored");
  if (!stored.credential.refreshToken) {
    throw connectionErrors.refreshUnsupported(
      connection,
      "the provider issued no refresh token for it, so only the user reconnecting renews it",
    );
  }
  try {
    return await deps.credentials.get(connection, stored.credential.accessToken);
  } catch (error) {
    const after = await getConnection(deps.database.db, connection.id);
    if (after?.status === "needs_reauth") {
      throw refusalError("needs_reauth", connection.provider, after.status, GATEWAY_REFUSALS);
    }
    throw error;
  }
}
