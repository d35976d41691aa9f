import { type CallContext, evaluate, type Evaluation } from "../rules/evaluate.ts";
import { type EntityChoices, isPortalRule, withEntityChoices } from "../rules/entity_choices.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { hidingRule } from "../rules/hide/hide_plan.ts";
import type { ReleaseRefusal } from "./gateway_errors.ts";

/** Who asks for a credential of which provider: what the rules see of a release. */
export interface ReleaseAsk {
  appName: string;
  /** The agent id sent, if any: recorded among the matched rules, no limit on what applies. */
  agentId: string | null;
  entityId: string;
  provider: string;
  family: string;
  connectionId: string;
}

/**
 * The rules as the proxy applies them, for a synthetic operation
 * `<provider>.credential_release`, with the entity's Trust Portal choices
 * (null: none). The released token can make any call of its provider, out of
 * the proxy's sight, so the operation is multiplexed (every rule and scope
 * naming the provider or its family concerns it, as for a batch), and
 * whatever would have to act on the calls themselves refuses the release: a
 * disabled scope (the operator's or the user's), a deny, a send condition,
 * an approve rule (there is nobody to approve a release), hide or redact
 * rules (a hidden label stays readable with the raw token), and limit rules
 * (the token's calls would not be counted, so no rate would hold); a release
 * counts against no limit. Pure, so the console can say which releases the
 * rules refuse.
 */
export function releaseDecision(
  set: RuleSet,
  ask: ReleaseAsk,
  choices: EntityChoices | null,
): { refusal: ReleaseRefusal | null; matched: readonly string[] } {
  const ctx: CallContext = {
    appName: ask.appName,
    agentId: ask.agentId ?? "",
    entityId: ask.entityId,
    provider: ask.provider,
    family: ask.family,
    operation: { id: `${ask.provider}.credential_release`, class: "read", multiplexed: true },
    method: "GET",
    path: `/v1/token/${ask.connectionId}`,
    // The token goes to whoever holds the key, for any call: rules limited to some agents,
    // methods or paths refuse it as if it were theirs. Even with an agent id sent, nothing
    // ties the token to that agent once released, so any agent may be the one using it.
    unbounded: { anyAgent: true, anyRequest: true },
  };
  let ev: Evaluation = evaluate(set, ctx);
  const operatorScope = ev.scopeDisabled;
  if (choices !== null) ev = withEntityChoices(ev, set, ctx, choices);
  const hider = ev.hide.length > 0 ? hidingRule(ctx.operation.id, ev.hide) : null;
  const kept = ev.deny ?? ev.conditional[0] ?? ev.approve ?? hider ?? ev.redact[0] ??
    ev.limit[0] ?? null;
  const refusal: ReleaseRefusal | null = ev.scopeDisabled !== null
    ? {
      kind: "scope",
      scope: ev.scopeDisabled,
      source: operatorScope !== null ? "rules" : "portal",
    }
    : kept
    ? {
      kind: "rule",
      rule: kept.name,
      effect: kept.effect,
      conditional: kept !== ev.deny && ev.conditional.includes(kept),
      source: isPortalRule(kept) ? "portal" : "rules",
      agentLimited: kept.agents !== null,
    }
    : null;
  return { refusal, matched: ev.matched };
}
