import type { ProxyFilter } from "../proxy/proxy_filter.ts";
import type { EntityChoicesLookup } from "./entity_choices.ts";
import { LabelCache } from "./hide/gmail_hide.ts";
import { parseRulesConfig, type RuleIssue } from "./rule_schema.ts";
import { compileRules, EMPTY_RULE_SET, type RuleSet } from "./rule_set.ts";
import { rulesFilter } from "./rules_filter.ts";

/**
 * The filter list in force for a rule set: the security engine's filters
 * (anomaly blocks, rate limits, approvals) around the rules filter (null
 * when the set has nothing for it). Built once per load, not per call.
 */
export type Compose = (set: RuleSet, rules: ProxyFilter | null) => readonly ProxyFilter[];

export type RuleLoad =
  | { ok: true; set: RuleSet }
  | { ok: false; issues: RuleIssue[] };

/** Validates and compiles the `rules` and `scopes` of a raw config file. */
export function loadRuleSet(raw: Record<string, unknown>): RuleLoad {
  const parsed = parseRulesConfig(raw.rules, raw.scopes);
  if (!parsed.ok) return parsed;
  return { ok: true, set: compileRules(parsed.rules, parsed.scopes) };
}

/**
 * The rule set in force and the filters built from it. A reload swaps both
 * at once; a call already in the pipeline keeps the filters it started with.
 */
export class RuleBook {
  readonly #maxInspectBytes: number;
  readonly #labels: LabelCache;
  #set: RuleSet = EMPTY_RULE_SET;
  #filters: readonly ProxyFilter[] = [];

  readonly #compose: Compose;
  readonly #entityChoices: EntityChoicesLookup | undefined;

  constructor(
    deps: {
      maxInspectBytes: number;
      now: () => number;
      compose?: Compose;
      entityChoices?: EntityChoicesLookup;
    },
  ) {
    this.#maxInspectBytes = deps.maxInspectBytes;
    this.#entityChoices = deps.entityChoices;
    this.#labels = new LabelCache(deps.now);
    this.#compose = deps.compose ?? ((_set, rules) => rules ? [rules] : []);
  }

  get set(): RuleSet {
    return this.#set;
  }

  get filters(): readonly ProxyFilter[] {
    return this.#filters;
  }

  use(set: RuleSet): void {
    const filter = rulesFilter({
      set,
      maxInspectBytes: this.#maxInspectBytes,
      labels: this.#labels,
      entityChoices: this.#entityChoices,
    });
    this.#set = set;
    this.#filters = this.#compose(set, filter);
  }
}
