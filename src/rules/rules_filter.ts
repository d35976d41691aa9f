import type { Exchange } from "../proxy/exchange.ts";
import {
  type Answer,
  type BodyReader,
  CONTINUE,
  DONE,
  type Lookup,
  type ProxyFilter,
  type ResponseVerdict,
  type Verdict,
} from "../proxy/proxy_filter.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { callContext } from "./call_context.ts";
import { evaluate, type Evaluation, NO_EVALUATION } from "./evaluate.ts";
import { type EntityChoicesLookup, withEntityChoices } from "./entity_choices.ts";
import { applies } from "./send_check.ts";
import {
  filterAnswerBytes,
  hideReach,
  hidesAnything,
  hidingRule,
  narrowQuery,
  narrowQueryResolved,
  targetHidden,
} from "./hide/hide_plan.ts";
import type { LabelCache } from "./hide/gmail_hide.ts";
import { buildRedactor, type Redactor } from "./redaction/detectors.ts";
import { inspectable, redactJsonBody } from "./redaction/redact_json.ts";
import { ruleErrors } from "./rule_errors.ts";
import type { CompiledRule, RuleSet } from "./rule_set.ts";
import { opaqueSend, outgoingSend, UNREADABLE_SEND } from "./send/outgoing_send.ts";

export interface RulesFilterDeps {
  set: RuleSet;
  /** `[proxy] max_inspect_bytes`: the most of a body a rule reads. */
  maxInspectBytes: number;
  /** Gmail label names → ids, per connection; outlives reloads. */
  labels: LabelCache;
  /** Each entity's own Trust Portal choices (scopes off, hidden labels/folders). */
  entityChoices?: EntityChoicesLookup;
}

function deny(error: SecurixError, rule: CompiledRule | null): Verdict {
  return { action: "deny", error, rule: rule?.name ?? null };
}

/**
 * The rules engine as a pipeline stage: deny and disabled scopes before any
 * credential, send conditions on a bounded read of the request body, hide as
 * a narrowed query and item lookups, redaction and answer filtering on a
 * bounded read of the answer. Null when the set has nothing to enforce, so a
 * rule-less appliance keeps the plain path.
 */
export function rulesFilter(deps: RulesFilterDeps): ProxyFilter | null {
  const { set, maxInspectBytes, labels, entityChoices } = deps;
  if (set.empty && !entityChoices) return null;
  const evaluations = new WeakMap<Exchange, Evaluation>();
  // One refusal per rule, made once: an error's stack trace cost more than the decision.
  const refusals = new Map<string, SecurixError>();
  const refusal = (key: string, make: () => SecurixError) => {
    let error = refusals.get(key);
    if (!error) refusals.set(key, error = make());
    return error;
  };
  const redactors = new Map<string, Redactor>();
  const redactorFor = (rules: readonly CompiledRule[]): Redactor => {
    const key = rules.map((r) => r.name).join("\n");
    let redactor = redactors.get(key);
    if (!redactor) {
      redactor = buildRedactor({
        patterns: [...new Set(rules.flatMap((r) => r.patterns))],
        regexes: rules.flatMap((r) => r.regex ? [r.regex] : []),
      });
      redactors.set(key, redactor);
    }
    return redactor;
  };
  const hidePolicy = (ev: Evaluation) => ({
    labels: [...new Set(ev.hide.flatMap((r) => r.labels))],
    folders: [...new Set(ev.hide.flatMap((r) => r.folders))],
  });
  const hideContext = (ev: Evaluation, ex: Exchange, lookup: Lookup) => ({
    policy: hidePolicy(ev),
    lookup,
    labels,
    connectionId: ex.caller.connection.id,
  });

  return {
    name: "rules",
    // Not async: a call that needs no body read (the usual one) answers without a promise.
    request(ex, readBody) {
      const choices = entityChoices?.(ex.caller.app.id, ex.caller.entityId) ?? null;
      // No rules and no choices of this entity: the plain path, nothing allocated.
      if (set.empty && choices === null) return DONE;
      const ctx = callContext(ex);
      let ev = evaluate(set, ctx);
      if (choices !== null) ev = withEntityChoices(ev, set, ctx, choices);
      if (ev === NO_EVALUATION) return DONE;
      evaluations.set(ex, ev);
      ex.rules.push(...ev.matched);
      if (ev.scopeDisabled !== null) {
        ex.notes.scope = ev.scopeDisabled;
        const scope = ev.scopeDisabled;
        return deny(refusal(`scope\n${scope}`, () => ruleErrors.scopeDisabled(scope)), null);
      }
      const denying = ev.deny;
      if (denying) {
        return deny(refusal(denying.name, () => ruleErrors.policyDenied(denying)), denying);
      }
      if (ev.conditional.length > 0) {
        return checkSend(ex, ev.conditional, readBody, maxInspectBytes).then((refused) =>
          refused ? deny(ruleErrors.policyDenied(refused), refused) : afterRequestChecks(ex, ev)
        );
      }
      return afterRequestChecks(ex, ev);
    },
    async authorized(ex, lookup) {
      const ev = evaluations.get(ex);
      if (!ev || ev.hide.length === 0) return CONTINUE;
      const ctx = hideContext(ev, ex, lookup);
      const id = ex.operation.id;
      const hider = hidingRule(id, ev.hide);
      try {
        if (hideReach(id).query) ex.query = await narrowQueryResolved(id, ex.path, ex.query, ctx);
      } catch (error) {
        if (error instanceof SecurixError) return deny(error, hider);
        throw error;
      }
      if (await targetHidden(id, ex.path, ex.query, ctx)) {
        ex.decision = "hidden";
        return deny(ruleErrors.folderHidden(hider.name), hider);
      }
      return CONTINUE;
    },
    async response(ex, answer, lookup) {
      const ev = evaluations.get(ex);
      if (!ev || (ev.hide.length === 0 && ev.redact.length === 0)) return CONTINUE;
      const id = ex.operation.id;
      const inspect = inspectable(answer.contentType, answer.contentEncoding);
      let replaced: Uint8Array | null = null;
      const reach = ev.hide.length > 0 ? hideReach(id) : null;
      const filtersAnswer = reach?.answer === true;
      // A list the filter cannot read is refused only when the policy hides something of
      // this provider's: a `*` rule naming Drive folders has nothing to keep out of Gmail's.
      const guardsList = reach?.listed !== undefined && answer.status >= 200 &&
        answer.status < 300 && hidesAnything(id, hidePolicy(ev));
      // A refusal names the rule that hides something of this provider's, not the first hide.
      // (Read only where a hide rule applies: every branch below needs `reach`.)
      const hider = hidingRule(id, ev.hide);
      if (guardsList && !inspect) {
        // A list the filter cannot read (compressed although identity was asked for, or
        // another format: `alt=proto`) is not shown unfiltered.
        return deny(
          ruleErrors.uninspectable(
            answer.contentEncoding && answer.contentEncoding !== "identity"
              ? `compressed (${answer.contentEncoding})`
              : "not JSON",
            hider.name,
          ),
          hider,
        );
      }
      if (filtersAnswer && inspect) {
        const body = await answer.readBody(maxInspectBytes);
        if (body === "too_large") {
          // An answer too large to check for hidden items is not shown.
          return deny(
            ruleErrors.uninspectable("larger than max_inspect_bytes", hider.name),
            hider,
          );
        }
        if (body !== null) {
          const outcome = await filterAnswerBytes(id, ex.path, body, hideContext(ev, ex, lookup));
          if (outcome?.action === "unreadable" && guardsList) {
            // Labelled JSON but not readable as the list (an XSSI prefix, gzip labelled
            // identity, no array): passing it on would show whatever it hides.
            return deny(ruleErrors.uninspectable(outcome.reason, hider.name), hider);
          }
          if (outcome?.action === "hidden") {
            ex.decision = "hidden";
            return deny(ruleErrors.folderHidden(hider.name), hider);
          }
          if (outcome?.action === "replace") {
            ex.decision = "hidden";
            ex.notes.hidden = outcome.removed;
            replaced = outcome.body;
          }
        }
      }
      if (ev.redact.length > 0) {
        const verdict = await redact(ex, ev.redact, answer, replaced, inspect);
        if (verdict) return verdict;
      }
      return replaced ? { action: "replace", body: replaced } : CONTINUE;
    },
  };

  /** Redacts the answer (or the hide filter's replacement); null when nothing changed. */
  async function redact(
    ex: Exchange,
    rules: readonly CompiledRule[],
    answer: Answer,
    replaced: Uint8Array | null,
    inspect: boolean,
  ): Promise<ResponseVerdict | null> {
    const strict = ex.strict || rules.some((r) => r.strict);
    const skip = (reason: string): ResponseVerdict | null => {
      if (strict) {
        // Refused, even when the hide filter already removed items from this answer.
        ex.decision = "denied";
        const rule = rules.find((r) => r.strict) ?? rules[0];
        return deny(ruleErrors.uninspectable(reason, rule.name), rule);
      }
      answer.headers.set("x-securix-redaction", "skipped");
      ex.notes.redaction = `skipped: ${reason}`;
      return replaced ? { action: "replace", body: replaced } : null;
    };
    if (!inspect) {
      return skip(
        answer.contentEncoding && answer.contentEncoding !== "identity"
          ? `compressed (${answer.contentEncoding})`
          : "not JSON",
      );
    }
    const body = replaced ?? await answer.readBody(maxInspectBytes);
    if (body === null) return null;
    if (body === "too_large") return skip("larger than max_inspect_bytes");
    const result = redactJsonBody(body, redactorFor(rules), {
      gmail: ex.route.provider === "gmail",
      maxBytes: maxInspectBytes,
      reuseInput: true,
    });
    if (!result.ok) return skip(result.reason === "not_json" ? "not JSON" : result.reason);
    if (!result.changed) return replaced ? { action: "replace", body: replaced } : null;
    ex.decision = "redacted";
    ex.notes.redactions = result.counts;
    return { action: "replace", body: result.body };
  }
}

/** Once nothing refused the request: whether the answer is read, and hide's query narrowing. */
function afterRequestChecks(ex: Exchange, ev: Evaluation): Verdict {
  if (ev.hide.length === 0 && ev.redact.length === 0) return DONE;
  ex.readsAnswer = true;
  if (ev.hide.length > 0) return hideBeforeCredentials(ex, ev);
  return CONTINUE;
}

/** Narrows list queries by rule names alone; operations hide cannot check are refused. */
function hideBeforeCredentials(ex: Exchange, ev: Evaluation): Verdict {
  const rule = hidingRule(ex.operation.id, ev.hide);
  const reach = hideReach(ex.operation.id);
  if (!reach.covered || ex.operation.multiplexed) {
    return deny(ruleErrors.uncheckable(rule.name, ex.operation.id), rule);
  }
  if (!reach.query) return CONTINUE;
  const policy = {
    labels: [...new Set(ev.hide.flatMap((r) => r.labels))],
    folders: [...new Set(ev.hide.flatMap((r) => r.folders))],
  };
  try {
    ex.query = narrowQuery(ex.operation.id, ex.query, policy);
  } catch (error) {
    if (error instanceof SecurixError) return deny(error, rule);
    throw error;
  }
  return CONTINUE;
}

/** The first conditional deny that applies to this call's outgoing message, if any. */
async function checkSend(
  ex: Exchange,
  rules: readonly CompiledRule[],
  readBody: BodyReader,
  maxInspectBytes: number,
): Promise<CompiledRule | null> {
  // A compressed body is refused by the reader itself (PeekableBody.inspect).
  const body = await readBody(maxInspectBytes);
  const contentType = ex.requestHeaders.get("content-type");
  const send = body === "too_large"
    ? UNREADABLE_SEND
    // Not a send this appliance understands: recipients unknown, the body as it is decoded.
    : outgoingSend(ex.operation.id, ex.path, contentType, body) ?? opaqueSend(body);
  return rules.find((rule) => applies(rule, send)) ?? null;
}
