import type { StoredCredential } from "../connections/connection_types.ts";
import type { RequestFacts } from "../providers/credential_injection.ts";
import type { HeaderPairs } from "./header_pairs.ts";
import type { OperationMap } from "../providers/operation.ts";

/**
 * One proxy host: `<host>.api.<base_domain>` forwards to `baseUrl` with the
 * credential of the entity's connection to `provider`. Built from the
 * provider catalog; the proxy never forwards anywhere else.
 */
export interface ProxyRoute {
  host: string;
  provider: string;
  baseUrl: URL;
  /**
   * Puts the credential on the outgoing request (header or query template);
   * returns the URL to send to (a copy only for a query template).
   */
  inject(credential: StoredCredential, headers: HeaderPairs, url: URL, facts?: RequestFacts): URL;
  /**
   * The credential signs the request (AWS SigV4): a body of known length
   * small enough to buffer is hashed into the signature, others are sent
   * as UNSIGNED-PAYLOAD.
   */
  signsPayload?: boolean;
  /**
   * The query parameter the credential is injected as (`query_param`
   * strategy): removed from the URLs of the provider's answer fields.
   */
  credentialParam?: string;
  /** Upstream accepts WebSocket upgrades (wss:// on the same host). */
  websocket: boolean;
  /**
   * Custom OIDC providers not discovered yet: resolves once the provider can
   * be used, rejects with SX-PROVIDER-UNAVAILABLE; null (or absent) when ready.
   */
  ready?: () => Promise<void> | null;
  /** The provider's family (`google` for gmail); rule targets may name it. Default: the provider. */
  family?: string;
  /** What each call does; without one every call is `<provider>.unknown`. */
  operations?: OperationMap;
  /** The method override header the provider honours on a POST; absent: none. */
  methodOverride?: string;
  /** The form field the provider reads as a POST's method (Rails: `_method`); absent: none. */
  methodOverrideField?: string;
  /** The provider needs `%2F` inside path segments (GitLab); absent: refused. */
  encodedSlashes?: boolean;
}

export type RouteTable = ReadonlyMap<string, ProxyRoute>;

/** The family a provider's routes belong to (`google` for gmail), or its own name. */
export function familyOf(routes: RouteTable, provider: string): string {
  for (const route of routes.values()) {
    if (route.provider === provider) return route.family ?? provider;
  }
  return provider;
}
