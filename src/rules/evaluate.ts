import type { Operation } from "../providers/operation.ts";
import type { CompiledRule, DomainList, RuleSet } from "./rule_set.ts";

/**
 * Which rules concern one proxied call. Allocation-free when nothing matches
 * (target and class matching is cached per operation id in the rule set): it
 * runs before every forwarded request.
 *
 * A rule applies when it is enabled, its apps/agents/entities lists (absent =
 * all) contain the caller, its target matches the operation id — or the id
 * with the provider replaced by its family (`google.users.messages.send` for
 * Gmail) — its classes (if any) contain the operation's class, and its
 * method_in/path_matches conditions hold. A multiplexed operation (a batch
 * whose parts are not visible) is treated as possibly any operation of its
 * provider: every rule whose target could name an operation of that provider
 * or family applies, whatever its classes (deny by caution). An unbounded
 * call (see CallContext) is matched by agent, method and path limited rules
 * it might fall under, for refusals.
 */

export interface CallContext {
  appName: string;
  agentId: string;
  entityId: string;
  provider: string;
  family: string;
  operation: Operation;
  method: string;
  /** The path sent to the provider, without the query. */
  path: string;
  /**
   * Not one request but whatever its caller may do next (a credential
   * release): `anyAgent` when any agent may be the one using it (a released
   * token is tied to no agent, whatever id was sent); `anyRequest` because the credential can make any call, with
   * any method and path. Rules limited to agents, methods or paths then
   * concern the call (fail closed), limits too: whoever takes the credential
   * calls out of their count, so a release refuses on them (release_rules.ts).
   */
  unbounded?: { anyAgent: boolean; anyRequest: boolean };
}

export interface Evaluation {
  /** The most specific unconditional deny that applies. */
  deny: CompiledRule | null;
  /** A disabled scope containing the operation. */
  scopeDisabled: string | null;
  /** Deny rules whose recipient/body conditions need the request body, most specific first. */
  conditional: readonly CompiledRule[];
  redact: readonly CompiledRule[];
  hide: readonly CompiledRule[];
  /** `limit` rules that apply: each counts the call, any one over its rate refuses it. */
  limit: readonly CompiledRule[];
  /** The most specific `approve` rule that applies: the call waits for a person. */
  approve: CompiledRule | null;
  /** Every rule that applies, in file order. */
  matched: readonly string[];
}

const NONE: readonly never[] = Object.freeze([]);

export const NO_EVALUATION: Evaluation = Object.freeze({
  deny: null,
  scopeDisabled: null,
  conditional: NONE,
  redact: NONE,
  hide: NONE,
  limit: NONE,
  approve: null,
  matched: NONE,
});

export function evaluate(set: RuleSet, ctx: CallContext): Evaluation {
  if (set.empty) return NO_EVALUATION;
  const { rules, scopeDisabled } = set.forOperation(ctx.provider, ctx.family, ctx.operation);
  if (rules.length === 0 && scopeDisabled === null) return NO_EVALUATION;
  let deny: CompiledRule | null = null;
  let conditional: CompiledRule[] | null = null;
  let redact: CompiledRule[] | null = null;
  let hide: CompiledRule[] | null = null;
  let limit: CompiledRule[] | null = null;
  let approve: CompiledRule | null = null;
  let matched: string[] | null = null;
  const unbounded = ctx.unbounded;
  for (const rule of rules) {
    if (rule.apps && !rule.apps.has(ctx.appName)) continue;
    if (rule.entities && !rule.entities.has(ctx.entityId)) continue;
    if (rule.agents && !rule.agents.has(ctx.agentId) && !unbounded?.anyAgent) continue;
    if (
      ((rule.methods && !rule.methods.has(ctx.method.toUpperCase())) ||
        (rule.path && !rule.path.match(ctx.path))) && !unbounded?.anyRequest
    ) continue;
    (matched ??= []).push(rule.name);
    if (rule.effect === "redact") (redact ??= []).push(rule);
    else if (rule.effect === "hide") (hide ??= []).push(rule);
    else if (rule.effect === "limit") (limit ??= []).push(rule);
    else if (rule.effect === "approve") {
      if (approve === null || rule.rank < approve.rank) approve = rule;
    } else if (rule.send) (conditional ??= []).push(rule);
    else if (deny === null || rule.rank < deny.rank) deny = rule;
  }
  if (matched === null && scopeDisabled === null) return NO_EVALUATION;
  return {
    deny,
    scopeDisabled,
    conditional: conditional ? conditional.sort((a, b) => a.rank - b.rank) : NONE,
    redact: redact ?? NONE,
    hide: hide ?? NONE,
    limit: limit ?? NONE,
    approve,
    matched: matched ?? NONE,
  };
}

/** What a send-condition check sees of an outgoing message. */
export interface OutgoingSend {
  /** Addresses from To, Cc and Bcc (or the API's recipient lists); null when they could not be read. */
  recipients: readonly string[] | null;
  /** The outgoing text, decoded. */
  text: string;
}

/**
 * Whether a conditional deny applies to this send (true = refuse). Every
 * condition key the rule has must hold. Deny by caution: under a recipient
 * condition, a send whose recipients could not be read, that names none
 * (e.g. Gmail `drafts.send`, whose recipients are in the stored draft), or
 * with an address that has no domain, is refused. Domains compare exactly
 * (case-insensitive): `a.acme.com` is not `acme.com`; list `*.acme.com` for
 * subdomains.
 */
export function checkSendConditions(rule: CompiledRule, send: OutgoingSend): boolean {
  const condition = rule.send;
  if (condition === null) return true;
  if (condition.recipientDomainIn || condition.recipientDomainNotIn) {
    const domains = send.recipients?.map(domainOf) ?? null;
    const unknown = domains === null || domains.length === 0 || domains.includes(null);
    if (
      condition.recipientDomainIn && !unknown &&
      !domains!.some((d) => inList(condition.recipientDomainIn!, d!))
    ) return false;
    if (
      condition.recipientDomainNotIn && !unknown &&
      domains!.every((d) => inList(condition.recipientDomainNotIn!, d!))
    ) return false;
  }
  if (condition.bodyContains) {
    const text = send.text.toLowerCase();
    if (!condition.bodyContains.some((needle) => text.includes(needle))) return false;
  }
  return true;
}

/** The domain of `a@b.com` or `Name <a@b.com>`, lower-case; null when there is none. */
export function domainOf(address: string): string | null {
  const trimmed = address.trim().replace(/>$/, "");
  const at = trimmed.lastIndexOf("@");
  if (at < 1) return null;
  const domain = trimmed.slice(at + 1).trim().toLowerCase().replace(/\.$/, "");
  return /^[a-z0-9.-]+$/.test(domain) && !domain.startsWith(".") ? domain : null;
}

function inList(list: DomainList, domain: string): boolean {
  if (list.exact.has(domain)) return true;
  for (const suffix of list.suffixes) if (domain.endsWith(suffix)) return true;
  return false;
}
