import type { Config } from "../config/load.ts";
import { catalogProvider } from "../providers/catalog.ts";
import { operationMapFor } from "../providers/operation_maps.ts";
import type { ProviderConfig } from "../providers/provider_config.ts";
import { type LintFinding, type LintProvider, lintRules } from "../rules/rule_lint.ts";
import { compileRules, type RuleSet } from "../rules/rule_set.ts";

/**
 * `securix rules lint` and `doctor`'s rules check: the config's rules linted
 * against the operations of every enabled provider, as the proxy would
 * resolve them. Reads the config only.
 */
export function lintConfigRules(
  config: Pick<Config, "rules" | "scopes" | "providers">,
): { set: RuleSet; findings: LintFinding[] } {
  const set = compileRules(config.rules, config.scopes);
  const enabled = Object.values(config.providers).filter((p) => p.enabled);
  return {
    set,
    findings: lintRules(set, knownOperations(enabled), enabled.map(lintProvider)),
  };
}

/** Custom providers share no family, as on the proxy routes: `corp.*` reaches only corp. */
function lintProvider(provider: ProviderConfig): LintProvider {
  const family = provider.kind === "catalog"
    ? catalogProvider(provider.name)?.family ?? provider.name
    : provider.name;
  return { name: provider.name, family };
}

/**
 * The ids a provider's map can produce, or null when they are open-ended:
 * GraphQL maps (GitHub, Linear) name operations after the document's fields,
 * Slack after any `/api/<method>`. Listing only their table would call every
 * such target unknown; lint trusts targets that name those providers instead.
 */
const OPEN_ENDED = new Set(["slack"]);

function knownOperations(
  enabled: readonly ProviderConfig[],
): (provider: string) => readonly string[] | null {
  const byName = new Map(enabled.map((p) => [p.name, p]));
  return (name) => {
    const provider = byName.get(name);
    const map = operationMapFor(name, provider?.enabled ? provider.operations : []);
    if (OPEN_ENDED.has(name) || map.resolveBody !== undefined) return null;
    return map.entries.map((e) => e.id);
  };
}
