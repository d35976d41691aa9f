import type { Refresher } from "../connections/credential_source.ts";
import type { FlowProvider, ProviderRegistry } from "../flows/flow_provider.ts";
import type { ProxyRoute, RouteTable } from "../proxy/proxy_route.ts";
import { fetchAccountIdentity } from "./account_identity.ts";
import { credentialInjector } from "./credential_injection.ts";
import { OAuthClient } from "./oauth_client.ts";
import { isInvalidGrant } from "./provider_errors.ts";
import type { ResolvedProviders } from "./resolve_providers.ts";

export interface ProviderWiringOptions {
  fetch?: typeof fetch;
  /** Per provider request; default 10 s. */
  timeoutMs?: number;
  now?: () => number;
}

/** The resolved providers adapted to what flows, connections and the proxy consume. */
export interface ProviderWiring {
  /** For the consent flows and revocation (`FlowDeps.providers`, `RevokeDeps.providers`). */
  registry: ProviderRegistry;
  /** For `CredentialSource`: null for providers without refresh. */
  refresherFor: (provider: string) => Refresher | null;
  /** For the proxy: every proxy host of every enabled provider. */
  routes: RouteTable;
  /** The adapter per enabled provider, for anything the views above do not cover. */
  clients: ReadonlyMap<string, OAuthClient>;
}

/**
 * Builds, once at startup, every view of the providers the rest of the
 * appliance needs, so no other domain constructs OAuth clients or reads
 * provider definitions itself.
 */
export function wireProviders(
  providers: ResolvedProviders,
  options: ProviderWiringOptions = {},
): ProviderWiring {
  const clients = new Map(
    [...providers.enabled].map(([name, p]) => [name, new OAuthClient(p, options)]),
  );
  const enabled = new Map([...clients].map(([name, c]) => [name, flowProvider(c, options)]));
  const refreshers = new Map(
    [...clients].filter(([, c]) => c.canRefresh).map(([name, c]) => [name, refresher(c)]),
  );
  return {
    registry: { enabled, known: providers.known },
    refresherFor: (name) => refreshers.get(name) ?? null,
    routes: proxyRoutes(providers),
    clients,
  };
}

function flowProvider(client: OAuthClient, options: ProviderWiringOptions): FlowProvider {
  const provider = client.provider;
  return {
    name: provider.name,
    displayName: provider.displayName,
    allowedScopes: provider.allowedScopes,
    defaultScopes: provider.defaultScopes,
    authorizationOrigin: new URL(provider.oauth.authorizationUrl).origin,
    authorizationUrl: (input) => client.authorizationUrl(input),
    exchangeCode: (input) => client.exchangeCode(input),
    fetchAccount: (accessToken) => fetchAccountIdentity(provider, accessToken, options),
    revoke: client.canRevoke ? (tokens) => client.revokeTokens(tokens) : null,
  };
}

function refresher(client: OAuthClient): Refresher {
  return {
    refresh: (refreshToken) => client.refresh(refreshToken),
    isInvalidGrant,
  };
}

/** `<host>.api.<base_domain>` → route, for every API host of every enabled provider. */
export function proxyRoutes(providers: ResolvedProviders): RouteTable {
  const routes = new Map<string, ProxyRoute>();
  for (const provider of providers.enabled.values()) {
    const inject = credentialInjector(provider.injection, provider.defaultHeaders);
    for (const api of provider.apis) {
      routes.set(api.host, {
        host: api.host,
        provider: provider.name,
        baseUrl: new URL(api.baseUrl),
        inject,
        websocket: api.websocket ?? false,
      });
    }
  }
  return routes;
}
