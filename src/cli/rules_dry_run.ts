import { SecurixError } from "../errors/securix_error.ts";
import { type CallShape, classFromMethod, type Operation } from "../providers/operation.ts";
import { providerFromHost, providerFromPath, requestTarget } from "../proxy/host_routing.ts";
import type { ProxyRoute, RouteTable } from "../proxy/proxy_route.ts";
import { evaluate, type Evaluation } from "../rules/evaluate.ts";
import { hideReach, hidingRule, narrowQuery } from "../rules/hide/hide_plan.ts";
import { ruleErrors } from "../rules/rule_errors.ts";
import type { CompiledRule, RuleSet } from "../rules/rule_set.ts";
import { applies } from "../rules/send_check.ts";
import { type OutgoingSend, outgoingSend, UNREADABLE_SEND } from "../rules/send/outgoing_send.ts";

/**
 * `securix rules test`: what the rules filter would decide for one call,
 * without a caller, a credential, the database or the provider. It follows
 * the request side of the rules filter step by step (disabled scope, deny,
 * send conditions on the body, hide), and describes the response side (hide
 * lookups, redaction) instead of running it, since there is no answer.
 */

export interface DryRunCall {
  /** The app's name, as rules' `apps` lists name it. */
  appName: string;
  agentId: string;
  entityId: string;
  method: string;
  url: string;
  /** `--provider`: any host goes, the route is this proxy host or provider. */
  provider: string | null;
  body: Uint8Array | null;
  contentType: string | null;
}

export interface DryRunDeps {
  set: RuleSet;
  routes: RouteTable;
  baseDomain: string;
  /** `[proxy] max_inspect_bytes`: a longer body is unreadable to send conditions, as in the proxy. */
  maxInspectBytes: number;
}

export type DryRunDecision =
  | { kind: "allowed" }
  | {
    kind: "denied";
    code: string;
    message: string;
    llmError: string | null;
    /** The rule that speaks, or null for a disabled scope. */
    rule: string | null;
    scope: string | null;
  }
  /** Send conditions apply and no body was given to check them against. */
  | { kind: "depends_on_body"; rules: string[] };

export interface ConditionalOutcome {
  rule: string;
  /** `needs_body`: no `--body` was given. */
  outcome: "denies" | "passes" | "needs_body";
}

export interface DryRun {
  provider: string;
  /** The proxy host the call went to (`dropbox-content` is provider dropbox). */
  host: string;
  family: string;
  method: string;
  /** As sent to the provider (after any `/proxy/<name>` prefix), without the query. */
  path: string;
  query: string;
  operation: Operation;
  /** The operation is named in the body (GraphQL) and no `--body` was given: it stays opaque. */
  operationInBody: boolean;
  /** Every rule that applies, in file order. */
  matched: readonly string[];
  conditional: ConditionalOutcome[];
  /** Null when no hide rule applies. `query`: the narrowed query, null when the operation has none to narrow. */
  hide: { rules: string[]; labels: string[]; folders: string[]; query: string | null } | null;
  /** Null when no redact rule applies; `kinds` are detector names, `regex` for custom patterns. */
  redact: { rules: string[]; kinds: string[] } | null;
  decision: DryRunDecision;
}

/** What scripts branch on: 0 allowed (perhaps hidden or redacted), 3 denied, 4 depends on the body. */
export function dryRunExitCode(decision: DryRunDecision): number {
  return decision.kind === "allowed" ? 0 : decision.kind === "denied" ? 3 : 4;
}

export function dryRun(call: DryRunCall, deps: DryRunDeps): DryRun {
  const { route, path, query } = routeOf(call, deps);
  const method = call.method.toUpperCase();
  const operation = operationOf(route, method, path, query, call);
  const family = route.family ?? route.provider;
  const ev = evaluate(deps.set, {
    appName: call.appName,
    agentId: call.agentId,
    entityId: call.entityId,
    provider: route.provider,
    family,
    operation,
    method,
    path,
  });
  const send = call.body === null ? null : sendOf(operation.id, path, call, deps.maxInspectBytes);
  const conditional = ev.conditional.map((rule): ConditionalOutcome => ({
    rule: rule.name,
    outcome: send === null ? "needs_body" : applies(rule, send) ? "denies" : "passes",
  }));
  const hide = hideOf(ev, operation, query);
  return {
    provider: route.provider,
    host: route.host,
    family,
    method,
    path,
    query,
    operation,
    operationInBody: call.body === null && wantsBody(route, { method, path, query }),
    matched: ev.matched,
    conditional,
    hide: hide && {
      rules: ev.hide.map((r) => r.name),
      labels: hide.policy.labels,
      folders: hide.policy.folders,
      query: hide.query,
    },
    redact: ev.redact.length === 0 ? null : {
      rules: ev.redact.map((r) => r.name),
      kinds: [
        ...new Set(ev.redact.flatMap((r) => [...r.patterns, ...(r.regex ? ["regex"] : [])])),
      ],
    },
    decision: decide(ev, conditional, hide?.refusal ?? null),
  };
}

/** In the rules filter's order: disabled scope, deny, send conditions, then hide's refusals. */
function decide(
  ev: Evaluation,
  conditional: readonly ConditionalOutcome[],
  hideRefusal: { error: SecurixError; rule: string } | null,
): DryRunDecision {
  if (ev.scopeDisabled !== null) {
    return denied(ruleErrors.scopeDisabled(ev.scopeDisabled), null, ev.scopeDisabled);
  }
  if (ev.deny) return denied(ruleErrors.policyDenied(ev.deny), ev.deny.name, null);
  const refusing = conditional.find((c) => c.outcome === "denies");
  if (refusing) {
    const rule = ev.conditional.find((r) => r.name === refusing.rule) as CompiledRule;
    return denied(ruleErrors.policyDenied(rule), rule.name, null);
  }
  if (hideRefusal) return denied(hideRefusal.error, hideRefusal.rule, null);
  const open = conditional.filter((c) => c.outcome === "needs_body").map((c) => c.rule);
  if (open.length > 0) return { kind: "depends_on_body", rules: open };
  return { kind: "allowed" };
}

function denied(error: SecurixError, rule: string | null, scope: string | null): DryRunDecision {
  return {
    kind: "denied",
    code: error.code,
    message: error.message,
    llmError: error.llmError,
    rule,
    scope,
  };
}

/**
 * The proxy route the URL reaches, as the proxy would pick it: by
 * `<host>.api.<base_domain>`, else by `/proxy/<name>/`; with `--provider`,
 * by that name whatever the host.
 */
function routeOf(
  call: DryRunCall,
  deps: DryRunDeps,
): { route: ProxyRoute; path: string; query: string } {
  // A path alone (`/proxy/gmail/…`, as the README writes it) is read as on the appliance.
  const href = /^\/(?!\/)/.test(call.url) ? `http://appliance.invalid${call.url}` : call.url;
  const url = URL.parse(href);
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw new SecurixError(
      "SX-RULES-TEST-URL",
      `--url must be an http(s) URL such as https://gmail.api.${deps.baseDomain}/gmail/v1/users/me/messages, or a path such as /proxy/gmail/gmail/v1/users/me/messages, got ${
        JSON.stringify(call.url)
      }`,
      { status: 400 },
    );
  }
  const raw = requestTarget(href).path;
  const byPath = providerFromPath(raw);
  const wanted = call.provider ??
    providerFromHost(new Headers({ host: url.host }), {
      baseDomain: deps.baseDomain,
      trustProxy: false,
    }) ?? byPath?.provider ?? null;
  if (wanted === null) {
    throw new SecurixError(
      "SX-RULES-TEST-URL",
      `${url.host} is not a proxy host (<provider>.api.${deps.baseDomain}) and the path is not ` +
        "/proxy/<provider>/…; use one of those, or name the provider with --provider",
      { status: 400 },
    );
  }
  const route = deps.routes.get(wanted) ??
    [...deps.routes.values()].find((r) => r.provider === wanted);
  if (!route) {
    const hosts = [...deps.routes.keys()];
    throw new SecurixError(
      "SX-UNKNOWN-PROVIDER",
      `No enabled provider serves "${wanted}"; ${
        hosts.length > 0 ? `the proxy hosts are ${hosts.join(", ")}` : "no provider is enabled"
      }`,
      { status: 400 },
    );
  }
  // The /proxy/<name>/ prefix is the appliance's, not the provider's.
  const path = byPath && (byPath.provider === route.host || byPath.provider === route.provider)
    ? byPath.path
    : raw;
  return { route, path, query: url.search };
}

/** As the proxy resolves it: the route's map, and for GraphQL the document in a bounded peek. */
function operationOf(
  route: ProxyRoute,
  method: string,
  path: string,
  query: string,
  call: DryRunCall,
): Operation {
  const map = route.operations;
  if (!map) return { id: `${route.provider}.unknown`, class: classFromMethod(method) };
  const shape = { method, path, query };
  if (call.body === null || !map.resolveBody || !wantsBody(route, shape)) return map.resolve(shape);
  const tooLarge = call.body.length > (map.peekBytes ?? 0);
  const operation = map.resolveBody(shape, tooLarge ? null : call.body, call.contentType);
  return tooLarge ? { ...operation, multiplexed: true } : operation;
}

function wantsBody(route: ProxyRoute, shape: CallShape): boolean {
  const map = route.operations;
  return Boolean(map?.peekBytes && map.resolveBody && (map.wantsBody?.(shape) ?? true));
}

function sendOf(
  operationId: string,
  path: string,
  call: DryRunCall,
  maxInspectBytes: number,
): OutgoingSend {
  const body = call.body as Uint8Array;
  if (body.length > maxInspectBytes) return UNREADABLE_SEND;
  return outgoingSend(operationId, path, call.contentType, body) ??
    // Not a send the appliance understands: recipients unknown, the body as text.
    { recipients: null, text: new TextDecoder().decode(body) };
}

/** The narrowed query, or the refusal hide answers before credentials (as the rules filter does). */
function hideOf(ev: Evaluation, operation: Operation, query: string) {
  if (ev.hide.length === 0) return null;
  const rule = hidingRule(operation.id, ev.hide).name;
  const policy = {
    labels: [...new Set(ev.hide.flatMap((r) => r.labels))],
    folders: [...new Set(ev.hide.flatMap((r) => r.folders))],
  };
  const reach = hideReach(operation.id);
  if (!reach.covered || operation.multiplexed) {
    return {
      policy,
      query: null,
      refusal: { error: ruleErrors.uncheckable(rule, operation.id), rule },
    };
  }
  if (!reach.query) return { policy, query: null, refusal: null };
  try {
    return { policy, query: narrowQuery(operation.id, query, policy), refusal: null };
  } catch (error) {
    if (!(error instanceof SecurixError)) throw error;
    return { policy, query: null, refusal: { error, rule } };
  }
}
