import type { Lookup } from "../../proxy/proxy_filter.ts";
import { isRecord } from "../json_value.ts";
import {
  DRIVE_REACH,
  driveFilterAnswer,
  driveNarrowQuery,
  driveTargetHidden,
} from "./drive_hide.ts";
import {
  GMAIL_REACH,
  gmailFilterAnswer,
  gmailNarrowQuery,
  gmailNarrowQueryResolved,
  gmailTargetHidden,
  type LabelCache,
} from "./gmail_hide.ts";

/**
 * The `hide` effect: Gmail labels and Drive folders an agent must not see.
 * Three lines, each usable alone: list calls are narrowed at the provider
 * (`narrowQuery`), single items are checked with a lookup before forwarding
 * (`targetHidden`), and JSON answers are filtered (`filterAnswer`).
 */

/** The union of every hide rule that applies to one call. */
export interface HidePolicy {
  /** Gmail label names as the user sees them ("HR", "Legal/Contracts"); sublabels are hidden too. */
  readonly labels: readonly string[];
  /** Drive folder ids; only their direct children are hidden (see the README). */
  readonly folders: readonly string[];
}

/** What hide can do for one operation. */
export interface HideReach {
  /** narrowQuery rewrites this operation's query. */
  readonly query: boolean;
  /** filterAnswer may drop items from, or hide, this operation's JSON answer. */
  readonly answer: boolean;
  /**
   * The answer lists items and filtering it is what keeps some of them out
   * (a snippet, a label, a file the narrowed query let through): an answer
   * the filter cannot read is refused. Single items were looked up before
   * forwarding, so their unreadable answers (a download) pass. The value is
   * the answer's key holding the items (`labels`, `threads`, `files`).
   */
  readonly listed?: string;
  /**
   * False: the operation can reveal or touch hidden items and none of the
   * three lines can tell (Gmail batchModify, history.list, `<provider>.unknown`,
   * Drive changes.list). The integrator should deny it under a hide rule.
   */
  readonly covered: boolean;
}

export interface HideContext {
  readonly policy: HidePolicy;
  readonly lookup: Lookup;
  readonly labels: LabelCache;
  /** Label ids are per mailbox: the cache is keyed by connection. */
  readonly connectionId: string;
}

/** Outcome of filterAnswer: items dropped, or the whole answer is a hidden item (→ 404). */
export type AnswerOutcome =
  | { action: "filtered"; json: unknown; removed: number }
  | { action: "hidden" }
  | null;

const NEUTRAL: HideReach = Object.freeze({ query: false, answer: false, covered: true });
const UNCOVERED: HideReach = Object.freeze({ query: false, answer: false, covered: false });

export function hideReach(operationId: string): HideReach {
  if (operationId.startsWith("gmail.")) return reachIn(GMAIL_REACH, operationId);
  if (operationId.startsWith("drive.")) return reachIn(DRIVE_REACH, operationId);
  return NEUTRAL;
}

function reachIn(table: ReadonlyMap<string, HideReach>, operationId: string): HideReach {
  return table.get(operationId) ?? UNCOVERED;
}

/**
 * Whether the policy hides anything this operation's provider holds: Drive
 * folders hide nothing of Gmail's, so a `*` rule naming only folders has no
 * reason to refuse a Gmail answer it cannot read.
 */
export function hidesAnything(operationId: string, policy: HidePolicy): boolean {
  if (operationId.startsWith("gmail.")) return policy.labels.length > 0;
  if (operationId.startsWith("drive.")) return policy.folders.length > 0;
  return false;
}

/**
 * The rule a hide refusal names: the first that hides something of this
 * operation's provider (Gmail labels, Drive folders), the first of all when
 * none does. `hide` is never empty.
 */
export function hidingRule<T extends HidePolicy>(operationId: string, hide: readonly T[]): T {
  return hide.find((rule) => hidesAnything(operationId, rule)) ?? hide[0];
}

/**
 * The query to send instead (with its `?`, or "" when there was none and
 * nothing to add). Pure: runs before credentials. Throws SX-HIDE-QUERY when
 * the caller's own query is unbalanced (it could escape the narrowing).
 */
export function narrowQuery(operationId: string, query: string, policy: HidePolicy): string {
  if (operationId.startsWith("gmail.")) return gmailNarrowQuery(operationId, query, policy.labels);
  if (operationId.startsWith("drive.")) return driveNarrowQuery(operationId, query, policy.folders);
  return query;
}

/**
 * Like narrowQuery, after credentials: Gmail sublabels of hidden labels are
 * named too (`label:hr` does not match `HR/Payroll`), from the cached label list.
 */
export async function narrowQueryResolved(
  operationId: string,
  path: string,
  query: string,
  ctx: HideContext,
): Promise<string> {
  if (operationId.startsWith("gmail.")) {
    return await gmailNarrowQueryResolved(operationId, path, query, ctx);
  }
  return narrowQuery(operationId, query, ctx.policy);
}

/**
 * Whether the single item a call targets (read, write, delete, download) is
 * hidden. Path-driven, so it is safe to call for every call under a hide
 * rule: calls on no single item answer false without a lookup. A failed
 * lookup answers true: not knowing is not seeing.
 */
export async function targetHidden(
  operationId: string,
  path: string,
  query: string,
  ctx: HideContext,
): Promise<boolean> {
  if (operationId.startsWith("gmail.")) return await gmailTargetHidden(operationId, path, ctx);
  if (operationId.startsWith("drive.")) return await driveTargetHidden(path, query, ctx);
  return false;
}

/** Second line of defence on a parsed JSON answer; null leaves it untouched. */
export async function filterAnswer(
  operationId: string,
  path: string,
  json: unknown,
  ctx: HideContext,
): Promise<AnswerOutcome> {
  if (operationId.startsWith("gmail.")) {
    return await gmailFilterAnswer(operationId, path, json, ctx);
  }
  if (operationId.startsWith("drive.")) return driveFilterAnswer(operationId, json, ctx.policy);
  return null;
}

/** filterAnswerBytes's outcome; `unreadable`: the bytes are not the JSON the filter reads. */
export type BytesOutcome =
  | { action: "replace"; body: Uint8Array; removed: number }
  | { action: "hidden" }
  | { action: "unreadable"; reason: string }
  | null;

/**
 * filterAnswer on the answer's bytes: `replace` with the re-serialised JSON
 * when items were dropped, `hidden` for a hidden item, `unreadable` when the
 * bytes do not parse (an XSSI `)]}'` prefix, gzip labelled identity) or a
 * listed operation's items are not a list, null to pass the bytes as they
 * are. The caller decides what `unreadable` costs: a list is refused, a
 * single item (looked up before forwarding) passes.
 */
export async function filterAnswerBytes(
  operationId: string,
  path: string,
  body: Uint8Array,
  ctx: HideContext,
): Promise<BytesOutcome> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return { action: "unreadable", reason: "not JSON" };
  }
  const key = hideReach(operationId).listed;
  if (key !== undefined) {
    if (!isRecord(json)) return { action: "unreadable", reason: "not a JSON object" };
    // An absent key is an empty list (Gmail leaves `threads` out when nothing matched).
    if (key in json && !Array.isArray(json[key])) {
      return { action: "unreadable", reason: `"${key}" is not a list` };
    }
  }
  const outcome = await filterAnswer(operationId, path, json, ctx);
  if (outcome === null || outcome.action === "hidden") return outcome;
  if (outcome.removed === 0) return null;
  return {
    action: "replace",
    body: new TextEncoder().encode(JSON.stringify(outcome.json)),
    removed: outcome.removed,
  };
}
