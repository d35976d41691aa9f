import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Operation, OperationClass } from "../providers/operation.ts";
import { canonicalJson } from "../audit/canonical_json.ts";
import type { Effect, LimitPer, RedactKind, RuleConfig, ScopeConfig } from "./rule_schema.ts";
import { parseRate, type Rate } from "../security/rate.ts";
import { parseDuration } from "../security/duration.ts";
import { compileGlob, compilePathGlob, type Glob, operationTargets } from "./target_glob.ts";

/**
 * A validated rule file compiled for the hot path: globs turned into string
 * matchers, lists into sets, rules bucketed by the provider or family their
 * target names, so a call only ever looks at rules that could concern it.
 */

/** The recipient/body part of a `condition`: only decidable with the request body. */
export interface SendCondition {
  readonly recipientDomainIn: DomainList | null;
  readonly recipientDomainNotIn: DomainList | null;
  /** Lower-cased. */
  readonly bodyContains: readonly string[] | null;
}

/** `acme.com` matches only itself; `*.acme.com` matches its subdomains (not acme.com). */
export interface DomainList {
  readonly exact: ReadonlySet<string>;
  /** `.acme.com` for `*.acme.com`. */
  readonly suffixes: readonly string[];
}

export interface CompiledRule {
  /** Position in the file, from 0. */
  readonly index: number;
  readonly name: string;
  /** The rule as validated (defaults applied): what `rules list` and the API show. */
  readonly config: RuleConfig;
  readonly effect: Effect;
  readonly enabled: boolean;
  readonly target: Glob;
  readonly classes: ReadonlySet<OperationClass> | null;
  readonly apps: ReadonlySet<string> | null;
  readonly agents: ReadonlySet<string> | null;
  readonly entities: ReadonlySet<string> | null;
  /** `condition.method_in`, upper-case. */
  readonly methods: ReadonlySet<string> | null;
  /** `condition.path_matches`. */
  readonly path: Glob | null;
  readonly send: SendCondition | null;
  readonly llmError: string | null;
  readonly patterns: readonly RedactKind[];
  /**
   * `regex`, compiled once with the `gu` flags. Shared: use it with
   * `String.prototype.replace`/`matchAll`, which reset `lastIndex`, not `exec` loops.
   */
  readonly regex: RegExp | null;
  readonly labels: readonly string[];
  readonly folders: readonly string[];
  readonly strict: boolean;
  /** `effect = "limit"`: the rate, burst (default the rate's count) and whose calls count together. */
  readonly limit: LimitSpec | null;
  /** `effect = "approve"`: how long to hold the request open for a decision (null = answer 403 at once). */
  readonly approval: { readonly waitMs: number | null } | null;
  /** Place in specificity order, 0 = most specific; the lowest applying deny speaks. */
  readonly rank: number;
}

export interface LimitSpec {
  readonly rate: Rate;
  readonly burst: number;
  readonly per: LimitPer;
}

export interface CompiledScope {
  readonly name: string;
  readonly enabled: boolean;
  readonly description: string | null;
  readonly operations: readonly Glob[];
}

/** What can concern calls of one provider (and its family), in file order. */
export interface Candidates {
  readonly rules: readonly CompiledRule[];
  readonly disabledScopes: readonly CompiledScope[];
}

/** The enabled rules whose target and classes match one operation, and a disabled scope containing it. */
export interface Targeted {
  /** File order. */
  readonly rules: readonly CompiledRule[];
  readonly scopeDisabled: string | null;
}

export interface RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly scopes: readonly CompiledScope[];
  /** sha256 hex of the canonical JSON of the validated rules and scopes: what `admin.rules.loaded` records. */
  readonly hash: string;
  /** True when there is nothing to evaluate (no enabled rule, no disabled scope). */
  readonly empty: boolean;
  candidates(provider: string, family: string): Candidates;
  /** Cached per operation id: what no caller, method or path can change. */
  forOperation(provider: string, family: string, operation: Operation): Targeted;
}

/**
 * Operation ids come from operation maps, but resolvers may derive them from
 * the request (Slack's `/api/<method>`): the per-id cache is bounded.
 */
const OPERATION_CACHE_MAX = 1024;

const NOT_TARGETED: Targeted = Object.freeze({ rules: Object.freeze([]), scopeDisabled: null });

interface CandidatesEntry extends Candidates {
  readonly byOperation: Map<
    string,
    { class: OperationClass; multiplexed: boolean; targeted: Targeted }
  >;
}

export function compileRules(
  rules: readonly RuleConfig[],
  scopes: Readonly<Record<string, ScopeConfig>>,
): RuleSet {
  const compiled = rankBySpecificity(rules.map(compileRule));
  const compiledScopes = Object.entries(scopes).map(([name, scope]): CompiledScope => ({
    name,
    enabled: scope.enabled,
    description: scope.description ?? null,
    operations: scope.operations.map(compileGlob),
  }));
  const live = compiled.filter((r) => r.enabled);
  const disabledScopes = compiledScopes.filter((s) => !s.enabled);
  const ruleBuckets = bucket(live, (r) => [r.target]);
  const scopeBuckets = bucket(disabledScopes, (s) => s.operations);
  const cache = new Map<string, CandidatesEntry>();
  const empty = live.length === 0 && disabledScopes.length === 0;
  const candidates = (provider: string, family: string): CandidatesEntry => {
    const key = `${provider}\u0000${family}`;
    let found = cache.get(key);
    if (!found) {
      found = Object.freeze({
        rules: ruleBuckets.pick(provider, family),
        disabledScopes: scopeBuckets.pick(provider, family),
        byOperation: new Map(),
      });
      cache.set(key, found);
    }
    return found;
  };
  return deepFreeze({
    rules: compiled,
    scopes: compiledScopes,
    hash: hashRules(rules, scopes),
    empty,
    candidates: (provider: string, family: string): Candidates => candidates(provider, family),
    forOperation(provider: string, family: string, operation: Operation): Targeted {
      if (empty) return NOT_TARGETED;
      const entry = candidates(provider, family);
      if (entry.rules.length === 0 && entry.disabledScopes.length === 0) return NOT_TARGETED;
      const multiplexed = operation.multiplexed === true;
      const cached = entry.byOperation.get(operation.id);
      if (cached && cached.class === operation.class && cached.multiplexed === multiplexed) {
        return cached.targeted;
      }
      const targeted = target(entry, provider, family, operation);
      if (entry.byOperation.size >= OPERATION_CACHE_MAX) entry.byOperation.clear();
      entry.byOperation.set(operation.id, { class: operation.class, multiplexed, targeted });
      return targeted;
    },
  });
}

/**
 * The candidates that concern the operation (operationTargets). A rule's
 * classes do not narrow a multiplexed operation: it may carry a call of any
 * class.
 */
function target(
  candidates: Candidates,
  provider: string,
  family: string,
  op: Operation,
): Targeted {
  const multiplexed = op.multiplexed === true;
  const targets = operationTargets(provider, family, op);
  const rules = candidates.rules.filter((rule) =>
    targets(rule.target) && (multiplexed || !rule.classes || rule.classes.has(op.class))
  );
  const scope = candidates.disabledScopes.find((s) => s.operations.some(targets));
  if (rules.length === 0 && !scope) return NOT_TARGETED;
  return Object.freeze({ rules: Object.freeze(rules), scopeDisabled: scope?.name ?? null });
}

export const EMPTY_RULE_SET: RuleSet = compileRules([], {});

/** sha256 hex of the canonical JSON of validated rules and scopes; key order does not matter, rule order does. */
export function hashRules(
  rules: readonly RuleConfig[],
  scopes: Readonly<Record<string, ScopeConfig>>,
): string {
  const bytes = new TextEncoder().encode(canonicalJson({ rules, scopes }));
  return encodeHexLowerCase(sha256(bytes));
}

type Unranked = Omit<CompiledRule, "rank">;

function compileRule(config: RuleConfig, index: number): Unranked {
  const condition = config.condition;
  const set = <T>(items: readonly T[] | undefined) => items ? new Set(items) : null;
  const send = condition &&
      (condition.recipient_domain_in || condition.recipient_domain_not_in ||
        condition.body_contains)
    ? {
      recipientDomainIn: domainList(condition.recipient_domain_in),
      recipientDomainNotIn: domainList(condition.recipient_domain_not_in),
      bodyContains: condition.body_contains?.map((s) => s.toLowerCase()) ?? null,
    }
    : null;
  return {
    index,
    name: config.name,
    config,
    effect: config.effect,
    enabled: config.enabled,
    target: compileGlob(config.target),
    classes: set(config.classes),
    apps: set(config.apps),
    agents: set(config.agents),
    entities: set(config.entities),
    methods: set(condition?.method_in),
    path: condition?.path_matches ? compilePathGlob(condition.path_matches) : null,
    send,
    llmError: config.llm_error ?? null,
    patterns: config.patterns ?? [],
    regex: config.regex === undefined ? null : new RegExp(config.regex, "gu"),
    labels: config.labels ?? [],
    folders: config.folders ?? [],
    strict: config.strict ?? false,
    limit: config.effect === "limit" ? limitSpec(config) : null,
    approval: config.effect === "approve"
      ? { waitMs: config.wait === undefined ? null : parseDuration(config.wait) }
      : null,
  };
}

function limitSpec(config: RuleConfig): LimitSpec {
  // Validated by the schema: a limit rule has a parseable rate.
  const rate = parseRate(config.rate!)!;
  return { rate, burst: config.burst ?? rate.count, per: config.per ?? "connection" };
}

function domainList(domains: readonly string[] | undefined): DomainList | null {
  if (!domains) return null;
  return {
    exact: new Set(domains.filter((d) => !d.startsWith("*."))),
    suffixes: domains.filter((d) => d.startsWith("*.")).map((d) => d.slice(1)),
  };
}

/**
 * Most specific first: the longest literal part of the target, then having
 * classes, then the number of scope lists (apps, agents, entities); ties go
 * to the rule written first.
 */
export function specificity(rule: Unranked): [number, number, number] {
  const scoped = (rule.apps ? 1 : 0) + (rule.agents ? 1 : 0) + (rule.entities ? 1 : 0);
  return [rule.target.literalLength, rule.classes ? 1 : 0, scoped];
}

function rankBySpecificity(rules: Unranked[]): CompiledRule[] {
  const order = rules.map((rule) => ({ rule, key: specificity(rule) })).sort((a, b) =>
    b.key[0] - a.key[0] || b.key[1] - a.key[1] || b.key[2] - a.key[2] ||
    a.rule.index - b.rule.index
  );
  const rank = new Map(order.map((o, i) => [o.rule.index, i]));
  return rules.map((rule) => ({ ...rule, rank: rank.get(rule.index)! }));
}

/**
 * Items keyed by the whole first segment of their globs (`gmail` for
 * `gmail.*`); an item with a glob whose first segment has a `*` goes in the
 * general bucket every provider sees.
 */
function bucket<T>(items: readonly T[], globs: (item: T) => readonly Glob[]) {
  const byHead = new Map<string, T[]>();
  const general: T[] = [];
  for (const item of items) {
    const heads = new Set<string>();
    let everywhere = false;
    for (const glob of globs(item)) {
      if (glob.headIsSegment) heads.add(glob.head);
      else everywhere = true;
    }
    if (everywhere) general.push(item);
    else {
      for (const head of heads) {
        const list = byHead.get(head) ?? [];
        list.push(item);
        byHead.set(head, list);
      }
    }
  }
  return {
    pick(provider: string, family: string): readonly T[] {
      const picked = new Set([
        ...(byHead.get(provider) ?? []),
        ...(family === provider ? [] : byHead.get(family) ?? []),
        ...general,
      ]);
      // File order: the evaluator reports matched rules in the order they are written.
      return Object.freeze(items.filter((item) => picked.has(item)));
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !(value instanceof RegExp) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
