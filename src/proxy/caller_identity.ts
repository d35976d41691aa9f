import { agentIdSchema, findAgent } from "../agents/agent_store.ts";
import { ENTITY_ID, textProblem } from "../identifiers/identifier.ts";
import { headerText } from "./header_text.ts";
import type { App } from "../apps/app_store.ts";
import type { KeyAuthenticator, KeyCheck } from "../apps/key_authenticator.ts";
import { lockedOut } from "../apps/key_errors.ts";
import { currentConnection, getConnection } from "../connections/connection_store.ts";
import type { Connection } from "../connections/connection_types.ts";
import type { Db } from "../db/client.ts";
import { connectionRefusal } from "../connections/connection_refusal.ts";
import { TtlCache } from "../cache/ttl_cache.ts";
import { MalformedForeignAgentId, PROXY_REFUSALS, proxyErrors } from "./proxy_errors.ts";
import { actingAgent } from "./acting_agent.ts";

export interface Caller {
  app: App;
  agentId: string;
  entityId: string;
  connection: Connection;
}

/** The securix-* header values, as sent. */
export interface CallerKeys {
  apiKey: string | null;
  agentId: string | null;
  entityId: string | null;
  /** Selects the connection by id instead of entity id + routed provider. */
  connectionId?: string | null;
}

function callerKeys(headers: Headers): CallerKeys {
  return {
    apiKey: headers.get("securix-api-key"),
    agentId: headers.get("securix-agent-id"),
    entityId: headers.get("securix-entity-id"),
    connectionId: headers.get("securix-connection-id"),
  };
}

/** Connection ids as `newId` makes them; anything else is refused before a look-up. */
const CONNECTION_ID = /^con_[a-z2-7]{1,64}$/;

/**
 * The three securix-* headers → app, agent, connection. Answers come from
 * short-lived caches (no database round trip per request); a revoke or pause
 * in this process drops the entry at once, other nodes see it within the TTL.
 */
export class CallerResolver {
  readonly #db: Db;
  readonly #authenticator: KeyAuthenticator;
  readonly #agents: TtlCache<boolean>;
  readonly #connections: TtlCache<Connection | null>;
  /** Entity id headers already found valid, as sent → as used: checked once, not per call. */
  readonly #entities: TtlCache<string>;

  constructor(
    deps: { db: Db; authenticator: KeyAuthenticator; now: () => number; ttlMs?: number },
  ) {
    this.#db = deps.db;
    this.#authenticator = deps.authenticator;
    this.#agents = new TtlCache(deps.ttlMs ?? 5_000, deps.now);
    this.#connections = new TtlCache(deps.ttlMs ?? 2_000, deps.now);
    this.#entities = new TtlCache(60_000, deps.now, 10_000);
  }

  /**
   * `address` is the client's, as the edge counts it: failed key checks are
   * limited per address. `sent` is the request's headers, or the three values
   * already read from them (the proxy reads its headers in one pass).
   * Synchronous when the key, agent and connection are all cached (the usual
   * call: no promise and no microtask per await), so a refusal may be thrown
   * rather than rejected.
   */
  resolve(
    sent: Headers | CallerKeys,
    provider: string,
    address = "unknown",
  ): Caller | Promise<Caller> {
    const keys = sent instanceof Headers ? callerKeys(sent) : sent;
    const checked = this.#authenticator.check(keys.apiKey, address);
    return checked instanceof Promise
      ? checked.then((c) => this.#resolveChecked(c, keys, provider))
      : this.#resolveChecked(checked, keys, provider);
  }

  #resolveChecked(checked: KeyCheck, keys: CallerKeys, provider: string): Caller | Promise<Caller> {
    if (!checked.ok) {
      if (checked.retryAfterS !== undefined) throw lockedOut(checked.retryAfterS);
      throw checked.reason === "missing_key" ? proxyErrors.missingKey() : proxyErrors.badKey();
    }
    const app = checked.auth.app;
    const sent = keys.agentId;
    // Another agent's id in a bad shape is refused as a bad header, before it is compared;
    // the key is known, so the refusal names its app and agent.
    const bound = checked.auth.agentId;
    if (bound !== null && sent && sent !== bound) {
      const problem = agentIdProblem(sent);
      if (problem !== null) throw new MalformedForeignAgentId(app.id, bound, problem);
    }
    const agentId = actingAgent(checked.auth, sent);
    if (!agentId) throw proxyErrors.missingAgentId();
    // An agent id the cache knows was valid when it was cached: not parsed again.
    const agentHit = this.#agents.get(`${app.id}\u0000${agentId}`);
    if (agentHit === undefined) checkAgentIdHeader(agentId);
    const byId = keys.connectionId ?? null;
    const rawEntityId = keys.entityId;
    if (byId !== null && rawEntityId) {
      // Two selectors could name two connections; which one wins must never be a guess.
      throw proxyErrors.invalidHeader(
        "securix-connection-id",
        "send either securix-connection-id or securix-entity-id, not both",
      );
    }
    if (byId === null && !rawEntityId) throw proxyErrors.missingHeader("securix-entity-id");
    let entityId = "";
    if (byId === null) {
      entityId = this.#entityId(rawEntityId!);
    } else if (!CONNECTION_ID.test(byId)) {
      throw proxyErrors.invalidHeader("securix-connection-id", "not a connection id (con_…)");
    }
    if (agentHit === undefined || byId !== null) {
      return this.#resolveLoaded(app, agentId, agentHit?.value, entityId, byId, provider);
    }
    if (!agentHit.value) throw proxyErrors.unknownAgent(agentId);
    const connection = this.#connections.get(`${app.id}\u0000${entityId}\u0000${provider}`);
    if (connection === undefined) {
      return this.#resolveLoaded(app, agentId, true, entityId, null, provider);
    }
    return { app, agentId, entityId, connection: usableConnection(connection.value, provider) };
  }

  /** The rest of `resolve` once something must be read from the database. */
  async #resolveLoaded(
    app: App,
    agentId: string,
    agentKnown: boolean | undefined,
    entityId: string,
    byId: string | null,
    provider: string,
  ): Promise<Caller> {
    const known = agentKnown ?? await this.#agentKnown(app.id, agentId);
    if (!known) throw proxyErrors.unknownAgent(agentId);
    if (byId === null) {
      return { app, agentId, entityId, connection: await this.usable(app, entityId, provider) };
    }
    const connection = await this.#connectionById(byId);
    // Another app's id answers like an unknown one: ids are not probed across apps.
    if (!connection || connection.appId !== app.id) {
      throw proxyErrors.unknownConnection();
    }
    if (connection.provider !== provider) {
      throw proxyErrors.connectionProviderMismatch(connection.provider, provider);
    }
    return {
      app,
      agentId,
      entityId: connection.entityId,
      connection: usableConnection(connection, provider),
    };
  }

  /**
   * The connection a caller already identified otherwise (an MCP grant, which
   * checked its app and agent itself) uses for `provider`, refused as `resolve`
   * refuses it.
   */
  async usable(app: App, entityId: string, provider: string): Promise<Connection> {
    return usableConnection(await this.#connection(app.id, entityId, provider), provider);
  }
  #entityId(sent: string): string {
    const known = this.#entities.get(sent);
    if (known !== undefined) return known.value;
    const entityId = headerText(sent);
    const problem = textProblem(entityId, ENTITY_ID);
    if (problem) throw proxyErrors.invalidHeader("securix-entity-id", problem);
    this.#entities.set(sent, entityId);
    return entityId;
  }

  async #agentKnown(appId: string, agentId: string): Promise<boolean> {
    const cacheKey = `${appId}\u0000${agentId}`;
    const hit = this.#agents.get(cacheKey);
    if (hit) return hit.value;
    const known = (await findAgent(this.#db, appId, agentId)) !== null;
    this.#agents.set(cacheKey, known);
    return known;
  }

  async #connection(appId: string, entityId: string, provider: string): Promise<Connection | null> {
    const cacheKey = `${appId}\u0000${entityId}\u0000${provider}`;
    const hit = this.#connections.get(cacheKey);
    if (hit) return hit.value;
    const connection = await currentConnection(this.#db, appId, entityId, provider);
    this.#connections.set(cacheKey, connection);
    return connection;
  }

  async #connectionById(id: string): Promise<Connection | null> {
    const cacheKey = `id\u0000${id}`;
    const hit = this.#connections.get(cacheKey);
    if (hit) return hit.value;
    const connection = await getConnection(this.#db, id);
    this.#connections.set(cacheKey, connection);
    return connection;
  }

  /** Forget a connection (revoke, pause, refresh failure) so the next request re-reads it. */
  forgetConnection(
    connection: Pick<Connection, "appId" | "entityId" | "provider"> & { id?: string },
  ): void {
    this.#connections.delete(
      `${connection.appId}\u0000${connection.entityId}\u0000${connection.provider}`,
    );
    if (connection.id !== undefined) this.#connections.delete(`id\u0000${connection.id}`);
  }

  forgetAll(): void {
    this.#agents.clear();
    this.#connections.clear();
    this.#authenticator.invalidate();
  }
}

function checkAgentIdHeader(agentId: string): void {
  const problem = agentIdProblem(agentId);
  if (problem !== null) throw proxyErrors.invalidHeader("securix-agent-id", problem);
}

function agentIdProblem(agentId: string): string | null {
  const agentIdCheck = agentIdSchema.safeParse(agentId);
  return agentIdCheck.success ? null : agentIdCheck.error.issues[0].message;
}

/** A connection the proxy may use now, or the refusal that says why not. */
export function usableConnection(connection: Connection | null, provider: string): Connection {
  const refusal = connectionRefusal(connection?.status ?? null, provider, PROXY_REFUSALS);
  if (refusal) throw refusal;
  return connection!;
}
