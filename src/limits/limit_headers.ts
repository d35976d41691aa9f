import type { LimitSpec } from "../rules/rule_set.ts";

/**
 * The IETF rate-limit fields (draft-ietf-httpapi-ratelimit-headers), one
 * place for their syntax: the 429 and every answer a limit admitted use it.
 * Both are Structured Field lists whose items are named by the rule; a rule
 * name is `[a-z0-9_-]`, so it needs no escaping inside the quotes.
 */

/** `RateLimit-Policy` item: the rule as configured, `q` calls per `w` seconds. */
export function policyItem(name: string, spec: LimitSpec): string {
  return `"${name}";q=${spec.rate.count};w=${spec.rate.periodMs / 1000}`;
}

/**
 * `RateLimit` item: `r` calls remain; `t` seconds until one is back, sent
 * only when none remains (the draft makes `t` optional).
 */
export function quotaItem(name: string, remaining: number, resetS: number): string {
  return remaining > 0 ? `"${name}";r=${remaining}` : `"${name}";r=0;t=${resetS}`;
}
