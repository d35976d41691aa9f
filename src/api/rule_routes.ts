import { Hono } from "hono";
import type { CompiledRule, RuleSet } from "../rules/rule_set.ts";
import type { ApiEnv } from "./require_api_key.ts";

/** A rule as the app it governs sees it: what it does, not whom else it governs. */
function ruleView(rule: CompiledRule) {
  const c = rule.config;
  return {
    name: c.name,
    description: c.description ?? null,
    target: c.target,
    classes: c.classes ?? null,
    agents: c.agents ?? null,
    entities: c.entities ?? null,
    effect: c.effect,
    enabled: rule.enabled,
    ...(c.effect === "deny" ? { llmError: rule.llmError } : {}),
    ...(c.effect === "redact" ? { patterns: rule.patterns, custom: rule.regex !== null } : {}),
    ...(c.effect === "hide" ? { labels: rule.labels, folders: rule.folders } : {}),
    ...(rule.limit
      ? { rate: c.rate, burst: rule.limit.burst, per: rule.limit.per, llmError: rule.llmError }
      : {}),
    condition: c.condition ?? null,
  };
}

/** `GET /v1/rules`: the rules in force for the calling app, read-only. */
export function ruleRoutes(deps: { rules: () => RuleSet }) {
  const app = new Hono<ApiEnv>();
  app.get("/", (c) => {
    const set = deps.rules();
    const name = c.get("app").name;
    return c.json({
      hash: set.hash,
      rules: set.rules.filter((r) => r.apps === null || r.apps.has(name)).map(ruleView),
      scopes: set.scopes.map((s) => ({
        name: s.name,
        enabled: s.enabled,
        description: s.description,
        operations: s.operations.map((g) => g.source),
      })),
    });
  });
  return app;
}
