import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { familyOf, type RouteTable } from "../proxy/proxy_route.ts";
import { flowErrors } from "../flows/flow_errors.ts";
import { gatewayErrors } from "./gateway_errors.ts";

/** What the gateway tells apps about one enabled provider: names, hosts and scopes, no secrets. */
export interface DirectoryEntry {
  name: string;
  displayName: string;
  family: string;
  /** Where the provider's API is; agents reach it through the appliance, not directly. */
  apiBaseUrls: string[];
  /** The appliance's proxy hosts for it (`<host>.api.<base_domain>`). */
  proxyHosts: string[];
  websocket: boolean;
  defaultScopes: readonly string[];
  allowedScopes: readonly string[] | null;
  /** How the appliance authenticates to it (today every provider is OAuth 2). */
  authType: "oauth2";
}

export interface ProviderDirectory {
  entries(): DirectoryEntry[];
  /**
   * A provider from a Nexus-style `provider_name`: our name, its display name
   * (`"Google Drive"`), or its family (`"Google"`, `"Microsoft"`), any case.
   * A family with several enabled providers is ambiguous, never guessed.
   */
  resolve(requested: string): string;
  /** The provider's family (rule targets may name it); the provider itself when unknown. */
  familyOf(provider: string): string;
}

export function providerDirectory(
  registry: ProviderRegistry,
  routes: RouteTable,
  baseDomain: string,
): ProviderDirectory {
  const entries = (): DirectoryEntry[] =>
    [...registry.enabled.values()].map((provider) => {
      const own = [...routes.values()].filter((r) => r.provider === provider.name);
      return {
        name: provider.name,
        displayName: provider.displayName,
        family: own[0]?.family ?? provider.name,
        apiBaseUrls: [...new Set(own.map((r) => r.baseUrl.toString()))],
        proxyHosts: own.map((r) => `${r.host}.api.${baseDomain}`),
        websocket: own.some((r) => r.websocket),
        defaultScopes: provider.defaultScopes,
        allowedScopes: provider.allowedScopes,
        authType: "oauth2",
      };
    });
  return {
    entries,
    familyOf: (provider) => familyOf(routes, provider),
    resolve(requested) {
      const wanted = normalize(requested);
      const all = entries();
      const exact = all.find((e) => e.name === requested) ??
        all.find((e) => normalize(e.name) === wanted) ??
        all.find((e) => normalize(e.displayName) === wanted);
      if (exact) return exact.name;
      const family = all.filter((e) => normalize(e.family) === wanted);
      if (family.length === 1) return family[0].name;
      if (family.length > 1) {
        throw gatewayErrors.ambiguousProvider(requested, family.map((e) => e.name));
      }
      const lower = requested.toLowerCase();
      throw registry.known.has(lower)
        ? flowErrors.providerDisabled(lower)
        : flowErrors.unknownProvider(requested);
    },
  };
}

/** "Google Drive", "google-drive", "GOOGLE_DRIVE" are one name. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, "");
}

/**
 * `GET /v1/providers`: Nexus groups providers by how they authenticate; each
 * entry carries base URLs and scopes, never a client id or secret.
 */
export function providersByAuthType(entries: DirectoryEntry[]) {
  const groups: Record<string, unknown[]> = { oauth2: [], api_key: [], basic: [], aws_sigv4: [] };
  for (const e of entries) {
    groups[e.authType].push({
      name: e.name,
      provider_id: e.name,
      display_name: e.displayName,
      family: e.family,
      auth_type: e.authType,
      api_base_urls: e.apiBaseUrls,
      proxy_hosts: e.proxyHosts,
      websocket: e.websocket,
      scopes: e.allowedScopes ?? e.defaultScopes,
      default_scopes: e.defaultScopes,
      allowed_scopes: e.allowedScopes,
    });
  }
  return { providers: groups, count: entries.length };
}
