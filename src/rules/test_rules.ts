import { parseRulesConfig } from "./rule_schema.ts";
import { compileRules, type RuleSet } from "./rule_set.ts";

/** Test helper: a rule set from raw TOML-shaped tables, validated as a config load would. */
export function ruleSet(rules: unknown[], scopes: Record<string, unknown> = {}): RuleSet {
  const parsed = parseRulesConfig(rules, scopes);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  return compileRules(parsed.rules, parsed.scopes);
}
