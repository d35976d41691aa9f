import { catalogNames, catalogProvider } from "./catalog.ts";
import type { ProviderConfig, ProviderKind } from "./provider_config.ts";

/** What an operator sees of a provider without contacting it (no discovery, no secrets). */
export interface ProviderSummary {
  name: string;
  displayName: string;
  kind: ProviderKind;
  /** In securix.toml at all. */
  configured: boolean;
  enabled: boolean;
  /** Host labels: `<label>.api.<base_domain>`. */
  proxyHosts: string[];
  /** Allowlist; null allows any. */
  scopes: string[] | null;
}

/**
 * Every configured provider in config order, then the catalog providers not
 * configured (so `securix providers list` also shows what could be enabled).
 */
export function summarizeProviders(
  configs: Readonly<Record<string, ProviderConfig>>,
): ProviderSummary[] {
  const configured = Object.values(configs).map(summarize);
  const available = catalogNames().filter((name) => !(name in configs)).map((name) => {
    const definition = catalogProvider(name)!;
    return {
      name,
      displayName: definition.displayName,
      kind: "catalog" as const,
      configured: false,
      enabled: false,
      proxyHosts: definition.apis.map((a) => a.host),
      scopes: null,
    };
  });
  return [...configured, ...available];
}

function summarize(config: ProviderConfig): ProviderSummary {
  const entry = config.kind === "catalog" ? catalogProvider(config.name) : null;
  const baseUrl = config.enabled ? config.baseUrl : null;
  const definition = entry && baseUrl && entry.selfManaged ? entry.selfManaged(baseUrl) : entry;
  return {
    name: config.name,
    displayName: config.displayName ?? definition?.displayName ?? config.name,
    kind: config.kind,
    configured: true,
    enabled: config.enabled,
    proxyHosts: definition ? definition.apis.map((a) => a.host) : [config.name],
    scopes: config.scopes,
  };
}
