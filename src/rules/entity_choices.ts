import type { Operation } from "../providers/operation.ts";
import type { CallContext, Evaluation } from "./evaluate.ts";
import type { CompiledRule, RuleSet } from "./rule_set.ts";
import { compileGlob, operationTargets } from "./target_glob.ts";

/**
 * What one entity chose for itself in the Trust Portal: virtual scopes it
 * switched off and Gmail labels / Drive folders it hid. Applied on top of the
 * operator's rules for that entity's calls only.
 */
export interface EntityChoices {
  /** `[scopes.<name>]` switched off. */
  readonly scopesOff: ReadonlySet<string>;
  /** Gmail label names, hidden like a `hide` rule's `labels`. */
  readonly labels: readonly string[];
  /** Drive folder ids, hidden like a `hide` rule's `folders`. */
  readonly folders: readonly string[];
}

/** The choices of an app's entity; null (the common case) when it made none. */
export type EntityChoicesLookup = (appId: string, entityId: string) => EntityChoices | null;

const hideRules = new WeakMap<
  EntityChoices,
  { gmail: CompiledRule | null; drive: CompiledRule | null }
>();

/**
 * The evaluation with an entity's choices added: a switched-off scope that
 * contains the operation refuses it (unless the operator's rules already
 * did), and hidden labels/folders join the hide rules of Gmail/Drive calls.
 * A multiplexed operation (a batch, a GraphQL document) may carry any call of
 * its provider, so, as for the operator's own disabled scopes, any scope
 * naming an operation of that provider or family contains it.
 */
export function withEntityChoices(
  ev: Evaluation,
  set: RuleSet,
  ctx: CallContext,
  choices: EntityChoices,
): Evaluation {
  let scopeDisabled = ev.scopeDisabled;
  if (scopeDisabled === null && choices.scopesOff.size > 0) {
    scopeDisabled = scopeContaining(set, ctx, choices.scopesOff);
  }
  const extra = hideRuleFor(choices, ctx.operation);
  if (scopeDisabled === ev.scopeDisabled && extra === null) return ev;
  const name = extra ? `portal:${ctx.entityId}` : null;
  return {
    ...ev,
    scopeDisabled,
    hide: extra ? [...ev.hide, extra] : ev.hide,
    matched: name ? [...ev.matched, name] : ev.matched,
  };
}

function scopeContaining(
  set: RuleSet,
  ctx: CallContext,
  off: ReadonlySet<string>,
): string | null {
  const contains = operationTargets(ctx.provider, ctx.family, ctx.operation);
  for (const scope of set.scopes) {
    if (!off.has(scope.name)) continue;
    if (scope.operations.some(contains)) return scope.name;
  }
  return null;
}

function hideRuleFor(choices: EntityChoices, operation: Operation): CompiledRule | null {
  let made = hideRules.get(choices);
  if (!made) {
    made = {
      gmail: choices.labels.length > 0 ? hideRule("gmail.*", choices.labels, []) : null,
      drive: choices.folders.length > 0 ? hideRule("drive.*", [], choices.folders) : null,
    };
    hideRules.set(choices, made);
  }
  if (operation.id.startsWith("gmail.")) return made.gmail;
  if (operation.id.startsWith("drive.")) return made.drive;
  return null;
}

/** The hide rules made from portal choices: no operator's file names them. */
const portalRules = new WeakSet<CompiledRule>();

/** Whether `rule` stands for an entity's Trust Portal choices rather than an operator's rule. */
export function isPortalRule(rule: CompiledRule): boolean {
  return portalRules.has(rule);
}

function hideRule(
  target: string,
  labels: readonly string[],
  folders: readonly string[],
): CompiledRule {
  const rule: CompiledRule = Object.freeze({
    index: -1,
    name: "portal",
    config: { name: "portal", effect: "hide", target, enabled: true, labels, folders } as never,
    effect: "hide",
    enabled: true,
    target: compileGlob(target),
    classes: null,
    apps: null,
    agents: null,
    entities: null,
    methods: null,
    path: null,
    send: null,
    llmError: null,
    patterns: [],
    regex: null,
    labels,
    folders,
    strict: false,
    limit: null,
    approval: null,
    rank: Number.MAX_SAFE_INTEGER,
  });
  portalRules.add(rule);
  return rule;
}
