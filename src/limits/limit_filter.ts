import type { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "../proxy/exchange.ts";
import { DONE, type ProxyFilter, type Verdict } from "../proxy/proxy_filter.ts";
import { callContext } from "../rules/call_context.ts";
import { evaluate } from "../rules/evaluate.ts";
import type { CompiledRule, RuleSet } from "../rules/rule_set.ts";
import type { Admission, LimitCounters } from "./limit_counters.ts";
import { rateLimited } from "./limit_errors.ts";
import type { BucketSpec } from "./lease_bucket.ts";

export interface LimitFilterDeps {
  set: RuleSet;
  /** Outlives reloads: a rule whose name, rate, burst and per are unchanged keeps its count. */
  counters: LimitCounters;
}

/**
 * Whose calls one rule counts together. Always scoped to the app, so two apps
 * never share a bucket (an entity or agent id means nothing across apps),
 * and carrying the rate, so a reload that changes it starts a fresh bucket.
 */
export function limitKey(rule: CompiledRule, ex: Exchange): string {
  const { per, rate, burst } = rule.limit!;
  const caller = ex.caller;
  const id = per === "agent"
    ? caller.agentId
    : per === "entity"
    ? caller.entityId
    : per === "connection"
    ? caller.connection.id
    : "";
  // Spaces cannot occur in the parts before the id, so keys never collide; not NUL, which
  // SQLite's text functions and comparisons would cut the key at.
  return `${rule.name} ${rate.count}/${rate.periodMs}/${burst} ${caller.app.id} ${per} ${id}`;
}

/** Refusals made once per rule and retry time: an error's stack trace costs more than the decision. */
const REFUSALS_MAX = 4096;

/**
 * The `limit` effect as a pipeline stage, after the rules filter: before any
 * credential is loaded, every applying limit rule counts the call, and the
 * first one over its rate refuses it with 429 SX-RATE-LIMIT. Only a request
 * hook, so allowed calls keep the zero-copy path. Null when the set has no
 * limit rule.
 */
export function limitFilter(deps: LimitFilterDeps): ProxyFilter | null {
  const { set, counters } = deps;
  if (!set.rules.some((r) => r.enabled && r.limit !== null)) return null;
  const specs = new Map<CompiledRule, BucketSpec>();
  for (const rule of set.rules) {
    if (rule.limit) {
      const { rate, burst } = rule.limit;
      specs.set(rule, { count: rate.count, periodMs: rate.periodMs, burst });
    }
  }
  const spec = (rule: CompiledRule) => specs.get(rule)!;
  const refusals = new Map<string, SecurixError>();
  const refuse = (rule: CompiledRule, retryAfterMs: number): Verdict => {
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const key = `${rule.name} ${seconds}`;
    let error = refusals.get(key);
    if (!error) {
      if (refusals.size >= REFUSALS_MAX) refusals.clear();
      refusals.set(key, error = rateLimited(rule, rule.limit!, seconds));
    }
    return { action: "deny", error, rule: rule.name };
  };
  const decide = (
    rules: readonly CompiledRule[],
    keys: string[],
    i: number,
    admission: Admission,
  ): Verdict | null => {
    if (admission.ok) return null;
    // The limits that already counted this call give their token back.
    for (let j = 0; j < i; j++) counters.refund(keys[j]);
    return refuse(rules[i], admission.retryAfterMs);
  };
  const takeRest = async (
    rules: readonly CompiledRule[],
    keys: string[],
    from: number,
    pending: Promise<Admission>,
  ): Promise<Verdict> => {
    for (let i = from; i < rules.length; i++) {
      const admission = i === from ? await pending : await counters.take(keys[i], spec(rules[i]));
      const refused = decide(rules, keys, i, admission);
      if (refused) return refused;
    }
    return DONE;
  };
  return {
    name: "limits",
    request(ex) {
      const limits = evaluate(set, callContext(ex)).limit;
      if (limits.length === 0) return DONE;
      const keys: string[] = [];
      for (let i = 0; i < limits.length; i++) {
        keys.push(limitKey(limits[i], ex));
        const admission = counters.take(keys[i], spec(limits[i]));
        if (admission instanceof Promise) return takeRest(limits, keys, i, admission);
        const refused = decide(limits, keys, i, admission);
        if (refused) return refused;
      }
      return DONE;
    },
  };
}
