import { canonicalJson } from "../audit/canonical_json.ts";
import type { CompiledRule, RuleSet } from "./rule_set.ts";
import { type Glob, globCovers, operationTargets } from "./target_glob.ts";

/** Effects whose refusal answers with the rule's llm_error. */
const REFUSING_EFFECTS = new Set(["deny", "limit", "approve"]);

/**
 * `securix rules lint` (also run by `doctor`): mistakes that load fine but
 * make a rule do nothing or something else than meant. Errors are rules that
 * cannot apply as written (a typo in a target silently allows what it meant
 * to deny); warnings are rules that are legal but have no or partial effect.
 */

export interface LintFinding {
  level: "error" | "warning";
  /** The rule's name, or `scopes.<name>` for a scope. */
  rule: string;
  message: string;
}

export interface LintProvider {
  name: string;
  family: string;
}

/**
 * `knownOperations(provider)` lists a provider's operation ids, or null when
 * it has no map (then any target naming that provider or family is trusted).
 */
export function lintRules(
  set: RuleSet,
  knownOperations: (provider: string) => readonly string[] | null,
  providers: readonly LintProvider[],
): LintFinding[] {
  const findings: LintFinding[] = [];
  const reaches = reachability(knownOperations, providers);
  for (const rule of set.rules) {
    if (!reaches(rule.target)) {
      findings.push({
        level: "error",
        rule: rule.name,
        message: `target "${rule.target.source}" matches no known operation${
          unknownHead(rule.target, providers)
        }; the rule never applies`,
      });
    }
    if (!rule.enabled) {
      findings.push({
        level: "warning",
        rule: rule.name,
        message: "enabled = false: the rule has no effect",
      });
    }
    // A limit's 429 and an approve's SX-APPROVAL-REQUIRED carry the rule's llm_error too.
    if (rule.llmError !== null && !REFUSING_EFFECTS.has(rule.effect)) {
      findings.push({
        level: "warning",
        rule: rule.name,
        message:
          `llm_error is only returned by deny, limit and approve rules; this rule has effect = "${rule.effect}"`,
      });
    }
  }
  findings.push(...shadowing(set.rules, providers));
  for (const scope of set.scopes) {
    for (const [i, glob] of scope.operations.entries()) {
      if (reaches(glob)) continue;
      findings.push({
        level: "error",
        rule: `scopes.${scope.name}`,
        message: `operations[${i}] "${glob.source}" matches no known operation${
          unknownHead(glob, providers)
        }`,
      });
    }
  }
  return findings;
}

function reachability(
  knownOperations: (provider: string) => readonly string[] | null,
  providers: readonly LintProvider[],
): (glob: Glob) => boolean {
  const targets = providers.flatMap(({ name, family }) => {
    const ops = knownOperations(name);
    // No map: any operation of it may come, as in a multiplexed call.
    if (ops === null) return [operationTargets(name, family, { id: name, multiplexed: true })];
    return [...ops, `${name}.unknown`].map((id) => operationTargets(name, family, { id }));
  });
  return (glob) => targets.some((concerns) => concerns(glob));
}

function unknownHead(glob: Glob, providers: readonly LintProvider[]): string {
  if (!glob.headIsSegment) return "";
  const known = providers.some((p) => p.name === glob.head || p.family === glob.head);
  return known ? "" : ` (no configured provider or family is named "${glob.head}")`;
}

/**
 * Rules another deny makes pointless: a redact or hide rule inside a deny's
 * reach never sees a forwarded call; a deny inside a more specific (or
 * equally specific, earlier) deny's reach never gets to speak. Two denies that
 * match exactly the same calls are reported once, as an overlap.
 */
function shadowing(rules: readonly CompiledRule[], providers: readonly LintProvider[]) {
  const findings: LintFinding[] = [];
  const denies = rules.filter((r) => r.enabled && r.effect === "deny");
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const twin = denies.find((d) => d.index < rule.index && sameCalls(d, rule, providers));
    if (twin) {
      findings.push({
        level: "warning",
        rule: rule.name,
        message:
          `denies exactly the calls rule "${twin.name}" denies; "${twin.name}" is written first and always speaks, so this one never does`,
      });
      continue;
    }
    const shadow = denies.find((d) =>
      d !== rule && d.config.condition === undefined && covers(d, rule, providers) &&
      (rule.effect !== "deny" || d.rank < rule.rank)
    );
    if (shadow) {
      findings.push({
        level: "warning",
        rule: rule.name,
        message: rule.effect === "deny"
          ? `unreachable: rule "${shadow.name}" denies every call this rule matches and is at least as specific, so its llm_error is returned instead`
          : `unreachable: rule "${shadow.name}" denies every call this rule matches, so this ${rule.effect} never applies`,
      });
    }
  }
  return findings;
}

/** Every call `inner` applies to, `outer` applies to too (conditions aside). */
function covers(outer: CompiledRule, inner: CompiledRule, providers: readonly LintProvider[]) {
  return targetCovers(outer.target, inner.target, providers) &&
    subset(inner.classes, outer.classes) && subset(inner.apps, outer.apps) &&
    subset(inner.agents, outer.agents) && subset(inner.entities, outer.entities);
}

function sameCalls(a: CompiledRule, b: CompiledRule, providers: readonly LintProvider[]) {
  return b.effect === "deny" && covers(a, b, providers) && covers(b, a, providers) &&
    canonicalJson(a.config.condition ?? null) === canonicalJson(b.config.condition ?? null);
}

/** Sound, not complete: read `inner` literally (see globCovers), also through its provider's family. */
function targetCovers(outer: Glob, inner: Glob, providers: readonly LintProvider[]): boolean {
  if (globCovers(outer, inner.source)) return true;
  if (!inner.headIsSegment) return false;
  const provider = providers.find((p) => p.name === inner.head && p.family !== p.name);
  return provider !== undefined &&
    globCovers(outer, provider.family + inner.source.slice(provider.name.length));
}

/** null = everything. */
function subset<T>(inner: ReadonlySet<T> | null, outer: ReadonlySet<T> | null): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  for (const item of inner) if (!outer.has(item)) return false;
  return true;
}
