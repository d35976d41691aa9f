import { DEFAULT_MAX_INSPECT_BYTES } from "../config/schema.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "../proxy/exchange.ts";
import { DONE, type ProxyFilter, type Verdict } from "../proxy/proxy_filter.ts";
import { callContext } from "../rules/call_context.ts";
import { evaluate } from "../rules/evaluate.ts";
import type { CompiledRule, RuleSet } from "../rules/rule_set.ts";
import type { Admission, LimitCounters } from "./limit_counters.ts";
import { rateLimited } from "./limit_errors.ts";
import { policyItem, quotaItem } from "./limit_headers.ts";
import type { BucketSpec } from "./lease_bucket.ts";
import { exchangeBatch } from "../proxy/exchange_batch.ts";
import type { BatchCalls } from "../providers/batch_calls.ts";

export interface LimitFilterDeps {
  set: RuleSet;
  /** Outlives reloads: a rule whose name, rate, burst and per are unchanged keeps its count. */
  counters: LimitCounters;
  /** `[proxy] max_inspect_bytes`: how much of a batch body is read to count its calls. */
  maxInspectBytes?: number;
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

const ONE = () => 1;

/** Refusals made once per rule and retry time: an error's stack trace costs more than the decision. */
const REFUSALS_MAX = 4096;

/**
 * The `limit` effect as a pipeline stage, after the rules filter: before any
 * credential is loaded, every applying limit rule counts the call, and any
 * one over its rate refuses it with 429 SX-RATE-LIMIT. An admitted call
 * gets the same `RateLimit-Policy` on its answer, one item per applying
 * rule, and the `RateLimit` of the most constraining one, recorded on the
 * Exchange for the proxy to add: only a request hook, so allowed calls keep
 * the zero-copy path. Null when the set has no limit rule.
 */
export function limitFilter(deps: LimitFilterDeps): ProxyFilter | null {
  const { set, counters } = deps;
  if (!set.rules.some((r) => r.enabled && r.limit !== null)) return null;
  const specs = new Map<CompiledRule, BucketSpec>();
  const policies = new Map<CompiledRule, string>();
  for (const rule of set.rules) {
    if (rule.limit) {
      const { rate, burst } = rule.limit;
      specs.set(rule, { count: rate.count, periodMs: rate.periodMs, burst });
      policies.set(rule, policyItem(rule.name, rule.limit));
    }
  }
  const spec = (rule: CompiledRule) => specs.get(rule)!;
  // `r` is what this process knows remains: its lease and the bucket's unclaimed tokens.
  const quota = (rule: CompiledRule, key: string, left: number): string =>
    quotaItem(rule.name, left, left > 0 ? 0 : Math.ceil(counters.msUntilToken(key) / 1000));
  /** The admitted call's answer carries the policy of its one limit and what remains. */
  const admitOne = (ex: Exchange, rule: CompiledRule, key: string): Verdict => {
    ex.answerHeaders = [
      ["ratelimit-policy", policies.get(rule)!],
      ["ratelimit", quota(rule, key, counters.remaining(key))],
    ];
    return DONE;
  };
  /** Every limit's policy; the remainder of the one with the fewest calls left (then the longest wait). */
  const admitAll = (
    ex: Exchange,
    rules: readonly CompiledRule[],
    keys: readonly string[],
  ): Verdict => {
    let tightest = 0;
    let fewest = Infinity;
    let longest = -1;
    for (let i = 0; i < rules.length; i++) {
      const left = counters.remaining(keys[i]);
      if (left > fewest) continue;
      const wait = left > 0 ? 0 : counters.msUntilToken(keys[i]);
      if (left < fewest || wait > longest) {
        tightest = i;
        fewest = left;
        longest = wait;
      }
    }
    ex.answerHeaders = [
      // Rules are distinct: a rule set compiles each rule once, and a batch takes its calls' tokens
      // under a rule in one take.
      ["ratelimit-policy", rules.map((rule) => policies.get(rule)!).join(", ")],
      ["ratelimit", quota(rules[tightest], keys[tightest], fewest)],
    ];
    return DONE;
  };
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
  /**
   * Any refusal refuses the call; the limits that admitted it give their tokens back (`cost`
   * under each: 1 for a call that is no batch).
   */
  const decide = (
    ex: Exchange,
    rules: readonly CompiledRule[],
    keys: readonly string[],
    admissions: readonly Admission[],
    cost: (i: number) => number = ONE,
  ): Verdict => {
    const refused = admissions.findIndex((a) => !a.ok);
    if (refused < 0) {
      return rules.length === 1 ? admitOne(ex, rules[0], keys[0]) : admitAll(ex, rules, keys);
    }
    admissions.forEach((a, i) => {
      if (a.ok) counters.refund(keys[i], cost(i));
    });
    return refuse(rules[refused], (admissions[refused] as { retryAfterMs: number }).retryAfterMs);
  };
  /**
   * `cost(i)` tokens under the i-th applying rule, in one take each, every key at once so new
   * keys share one sync. All or nothing: the tokens taken go back on a refusal.
   */
  const takeAll = (
    ex: Exchange,
    limits: readonly CompiledRule[],
    cost: (i: number) => number,
  ): Verdict | Promise<Verdict> => {
    const keys = limits.map((rule) => limitKey(rule, ex));
    const taken = limits.map((rule, i) => counters.take(keys[i], spec(rule), cost(i)));
    if (taken.some((a) => a instanceof Promise)) {
      return Promise.all(taken).then((admissions) => decide(ex, limits, keys, admissions, cost));
    }
    return decide(ex, limits, keys, taken as Admission[], cost);
  };
  /** A call that is no batch: one token under each applying rule. */
  const takeOne = (ex: Exchange, limits: readonly CompiledRule[]): Verdict | Promise<Verdict> => {
    if (limits.length > 1) return takeAll(ex, limits, ONE);
    // The usual case, without arrays: a map lookup and a decrement.
    const key = limitKey(limits[0], ex);
    const admission = counters.take(key, spec(limits[0]));
    if (admission instanceof Promise) {
      return admission.then((a) => decide(ex, limits, [key], [a]));
    }
    return admission.ok ? admitOne(ex, limits[0], key) : decide(ex, limits, [key], [admission]);
  };
  /**
   * A batch (Google `/batch`, Graph `$batch`) takes one token per call it
   * carries under every applying rule; one whose calls cannot be counted
   * takes a whole burst.
   */
  const takeBatch = (
    ex: Exchange,
    limits: readonly CompiledRule[],
    batch: BatchCalls | null,
  ): Verdict | Promise<Verdict> =>
    takeAll(ex, limits, (i) => Math.max(1, batch === null ? limits[i].limit!.burst : batch.calls));
  const maxInspectBytes = deps.maxInspectBytes ?? DEFAULT_MAX_INSPECT_BYTES;
  return {
    name: "limits",
    request(ex, readBody) {
      const limits = evaluate(set, callContext(ex)).limit;
      if (limits.length === 0) return DONE;
      // Only a multiplexed batch it can count reads the body (a batchDelete is one call): any
      // other call, GraphQL too, keeps the synchronous path.
      const batch = ex.operation.multiplexed === true
        ? exchangeBatch(ex, readBody, maxInspectBytes)
        : undefined;
      if (batch === undefined) return takeOne(ex, limits);
      return batch.then((calls) => takeBatch(ex, limits, calls));
    },
  };
}
