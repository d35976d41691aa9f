import { isRecord } from "../json_value.ts";
import { TtlCache } from "../../cache/ttl_cache.ts";
import { SecurixError } from "../../errors/securix_error.ts";
import type { Lookup } from "../../proxy/proxy_filter.ts";
import type { AnswerOutcome, HideContext, HideReach } from "./hide_plan.ts";

/**
 * Gmail labels hidden by name. Rules name labels as users see them; Gmail
 * answers carry label ids (`Label_12`; system labels' ids are their names),
 * so names are resolved per mailbox from `users.labels.list`, cached briefly.
 */

export interface GmailLabel {
  id: string;
  name: string;
}

/** The hidden labels of one mailbox: ids for answers, names (sublabels included) for `q`. */
export interface HiddenLabels {
  ids: ReadonlySet<string>;
  names: readonly string[];
}

const Q = (query: boolean, answer: boolean): HideReach => ({ query, answer, covered: true });
const ITEM = Q(false, false);
const NONE = Q(false, false);

/**
 * Operations on one item named by its id in the path (`messages/{id}`,
 * `labels/{id}`): their id must be read from the path as sent (see
 * gmailTargetHidden). Gets also filter their answer.
 */
const ITEM_REACH: ReadonlyMap<string, HideReach> = new Map([
  ["gmail.users.messages.get", Q(false, true)],
  ["gmail.users.threads.get", Q(false, true)],
  ["gmail.users.drafts.get", Q(false, true)],
  ["gmail.users.labels.get", ITEM],
  ["gmail.users.labels.update", ITEM],
  ["gmail.users.labels.patch", ITEM],
  ["gmail.users.labels.delete", ITEM],
  ["gmail.users.messages.attachments.get", ITEM],
  ["gmail.users.messages.modify", ITEM],
  ["gmail.users.messages.trash", ITEM],
  ["gmail.users.messages.untrash", ITEM],
  ["gmail.users.messages.delete", ITEM],
  ["gmail.users.threads.modify", ITEM],
  ["gmail.users.threads.trash", ITEM],
  ["gmail.users.threads.untrash", ITEM],
  ["gmail.users.threads.delete", ITEM],
  ["gmail.users.drafts.update", ITEM],
  ["gmail.users.drafts.delete", ITEM],
]);

/** Operations hide understands; any other `gmail.*` id is uncovered. */
export const GMAIL_REACH: ReadonlyMap<string, HideReach> = new Map([
  // Lists answer ids only: the narrowed `q` is their defence.
  ["gmail.users.messages.list", Q(true, false)],
  // A thread's snippet may come from a hidden message of a mixed thread: snippets are dropped.
  ["gmail.users.threads.list", { ...Q(true, true), listed: "threads" }],
  ["gmail.users.drafts.list", Q(true, false)],
  ["gmail.users.labels.list", { ...Q(false, true), listed: "labels" }],
  ...ITEM_REACH,
  // New content, nothing read back that was hidden.
  ["gmail.users.messages.send", NONE],
  ["gmail.users.messages.import", NONE],
  ["gmail.users.messages.insert", NONE],
  ["gmail.users.drafts.create", NONE],
  ["gmail.users.drafts.send", NONE],
  ["gmail.users.labels.create", NONE],
  ["gmail.users.getProfile", NONE],
  ["gmail.users.watch", NONE],
  ["gmail.users.stop", NONE],
]);

/** Each item operation's path word the id follows: `gmail.users.<word>.…`. */
export const GMAIL_ITEM_KINDS: ReadonlyMap<string, string> = new Map(
  [...ITEM_REACH.keys()].map((id) => [id, id.split(".")[2]]),
);

/** Path words after `messages/`, `drafts/` that are actions, not item ids. */
const NOT_ITEMS = new Set(["send", "import", "batchModify", "batchDelete"]);
const ITEM_PATH =
  /^(?:\/upload)?\/gmail\/v1\/users\/([^/]+)\/(messages|threads|drafts|labels)\/([^/]+)(?:\/.*)?$/;
const SAFE_ID = /^[A-Za-z0-9_-]+$/;
const SAFE_USER = /^[A-Za-z0-9._%+@-]+$/;
const USER_PATH = /^(?:\/upload)?\/gmail\/v1\/users\/([^/]+)\//;

/**
 * Label lists per mailbox for a short TTL, shared by concurrent calls (one
 * lookup in flight per mailbox). A failed lookup is not cached.
 */
export class LabelCache {
  readonly #cache: TtlCache<GmailLabel[]>;
  readonly #inFlight = new Map<string, Promise<GmailLabel[] | null>>();

  constructor(now: () => number, ttlMs = 60_000) {
    this.#cache = new TtlCache(ttlMs, now, 10_000);
  }

  async labels(connectionId: string, userId: string, lookup: Lookup): Promise<GmailLabel[] | null> {
    const key = `${connectionId}\n${userId}`;
    const hit = this.#cache.get(key);
    if (hit) return hit.value;
    const pending = this.#inFlight.get(key);
    if (pending) return await pending;
    const load = fetchLabels(userId, lookup).then((labels) => {
      if (labels !== null) this.#cache.set(key, labels);
      return labels;
    }).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, load);
    return await load;
  }
}

async function fetchLabels(userId: string, lookup: Lookup): Promise<GmailLabel[] | null> {
  const answer = await lookup(`/gmail/v1/users/${userId}/labels`).catch(() => null);
  if (!isRecord(answer) || !Array.isArray(answer["labels"])) return null;
  const out: GmailLabel[] = [];
  for (const label of answer["labels"]) {
    if (isRecord(label) && typeof label["id"] === "string" && typeof label["name"] === "string") {
      out.push({ id: label["id"], name: label["name"] });
    }
  }
  return out;
}

/**
 * The labels a policy hides: same name (Gmail names are unique regardless
 * of case) or a sublabel (`HR/Payroll` under `HR`). Names with no label in
 * the mailbox still hide by name in `q` and, for system labels, by id.
 */
export function hiddenLabels(
  labels: readonly GmailLabel[],
  names: readonly string[],
): HiddenLabels {
  const wanted = names.map((n) => n.toLowerCase());
  const ids = new Set<string>();
  const hiddenNames = new Set<string>(names);
  for (const label of labels) {
    const name = label.name.toLowerCase();
    if (wanted.some((w) => name === w || name.startsWith(`${w}/`))) {
      ids.add(label.id);
      hiddenNames.add(label.name);
    }
  }
  // System label ids are their names (INBOX, SPAM), answered even when the list lacks them.
  for (const name of names) if (/^[A-Z_]+$/.test(name)) ids.add(name);
  return { ids, names: [...hiddenNames] };
}

/** The hidden labels of the call's mailbox, or null when Gmail did not say. */
export async function resolveHidden(path: string, ctx: HideContext): Promise<HiddenLabels | null> {
  const user = USER_PATH.exec(path)?.[1] ?? "me";
  if (!SAFE_USER.test(user) || /^\.+$/.test(user)) return null;
  const labels = await ctx.labels.labels(ctx.connectionId, user, ctx.lookup);
  return labels === null ? null : hiddenLabels(labels, ctx.policy.labels);
}

/** messages.list, threads.list, drafts.list: `q` gets `-label:"…"` per hidden label, before the caller's terms. */
export function gmailNarrowQuery(
  operationId: string,
  query: string,
  labels: readonly string[],
): string {
  if (labels.length === 0 || GMAIL_REACH.get(operationId)?.query !== true) return query;
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  const given = params.getAll("q");
  if (given.length > 1) throw unsafeQuery("more than one q parameter");
  const caller = (given[0] ?? "").trim();
  if (caller !== "" && !balancedGmailQuery(caller)) {
    throw unsafeQuery("unbalanced quotes, parentheses or braces, or a backslash");
  }
  const terms = [...new Set(labels.map(labelTerm))].map((t) => `-label:"${t}"`);
  // Ours first and the caller's grouped: nothing the caller writes can bind to our terms.
  params.set("q", caller === "" ? terms.join(" ") : `${terms.join(" ")} (${caller})`);
  return `?${params.toString()}`;
}

export async function gmailNarrowQueryResolved(
  operationId: string,
  path: string,
  query: string,
  ctx: HideContext,
): Promise<string> {
  if (ctx.policy.labels.length === 0 || GMAIL_REACH.get(operationId)?.query !== true) return query;
  const hidden = await resolveHidden(path, ctx);
  return gmailNarrowQuery(operationId, query, hidden?.names ?? ctx.policy.labels);
}

/**
 * Gmail's search names a label by its lowercased name with blanks and
 * `" & ( ) / { } |` as hyphens (the form its own UI writes, `label:hr-payroll`;
 * Gmail treats these characters alike in names), so no quoting can break.
 */
export function labelTerm(name: string): string {
  return name.toLowerCase().replace(/[\s"&()/{}|\\]/g, "-");
}

/**
 * Quotes in pairs, parentheses and braces nested and closed, no backslash
 * (whether Gmail reads `\"` as an escape is undocumented; we do not guess).
 */
export function balancedGmailQuery(q: string): boolean {
  if (q.includes("\\")) return false;
  const stack: string[] = [];
  let quoted = false;
  for (const c of q) {
    if (c === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (c === "(" || c === "{") stack.push(c);
    else if (c === ")" && stack.pop() !== "(") return false;
    else if (c === "}" && stack.pop() !== "{") return false;
  }
  return !quoted && stack.length === 0;
}

/**
 * A message is hidden when it carries a hidden label; a thread (for every
 * thread operation, reads included) when any of its messages does; a draft
 * by its message; a label by itself.
 */
export async function gmailTargetHidden(
  operationId: string,
  path: string,
  ctx: HideContext,
): Promise<boolean> {
  if (ctx.policy.labels.length === 0) return false;
  const itemKind = GMAIL_ITEM_KINDS.get(operationId);
  const m = ITEM_PATH.exec(path);
  // The matcher also calls `users/me//messages/ID` or `users/me/MESSAGES/ID` a
  // messages.get (Google may read them so): an item whose id cannot be read
  // from the path as sent cannot be looked up, so it is not shown.
  if (!m || NOT_ITEMS.has(m[3])) return itemKind !== undefined;
  if (itemKind !== undefined && m[2] !== itemKind) return true;
  const [, user, kind, id] = m;
  // An id Gmail never issues (encoded, dotted) could reach another resource than the one looked up.
  if (!SAFE_ID.test(id) || !SAFE_USER.test(user) || /^\.+$/.test(user)) return true;
  const hidden = await resolveHidden(path, ctx);
  if (hidden === null) return true;
  if (kind === "labels") return hidden.ids.has(decodeSegment(id));
  const answer = await ctx.lookup(`/gmail/v1/users/${user}/${kind}/${id}?format=minimal`)
    .catch(() => null);
  if (!isRecord(answer)) return true;
  return itemHidden(kind, answer, hidden.ids);
}

/**
 * A listed thread's snippet is the text of its newest message, which in a
 * thread that also holds visible messages may be a hidden one: the list
 * answer carries no snippets while labels are hidden.
 */
function withoutSnippets(json: Record<string, unknown>): AnswerOutcome {
  if (!Array.isArray(json["threads"])) return null;
  let removed = 0;
  const threads = json["threads"].map((t) => {
    if (!isRecord(t) || typeof t["snippet"] !== "string" || t["snippet"] === "") return t;
    removed++;
    return { ...t, snippet: "" };
  });
  return removed === 0 ? null : { action: "filtered", json: { ...json, threads }, removed };
}

export async function gmailFilterAnswer(
  operationId: string,
  path: string,
  json: unknown,
  ctx: HideContext,
): Promise<AnswerOutcome> {
  if (ctx.policy.labels.length === 0 || GMAIL_REACH.get(operationId)?.answer !== true) return null;
  if (!isRecord(json)) return null;
  if (operationId === "gmail.users.threads.list") return withoutSnippets(json);
  const hidden = await resolveHidden(path, ctx);
  // Without the ids, only system label names can be recognised; the lookup before forwarding stood guard.
  const ids = hidden?.ids ?? hiddenLabels([], ctx.policy.labels).ids;
  if (operationId === "gmail.users.labels.list") {
    if (!Array.isArray(json["labels"])) return null;
    const kept = json["labels"].filter((l) => !(isRecord(l) && ids.has(String(l["id"]))));
    const removed = json["labels"].length - kept.length;
    return { action: "filtered", json: { ...json, labels: kept }, removed };
  }
  const kind = operationId === "gmail.users.threads.get"
    ? "threads"
    : operationId === "gmail.users.drafts.get"
    ? "drafts"
    : "messages";
  return itemHidden(kind, json, ids) ? { action: "hidden" } : null;
}

function itemHidden(
  kind: string,
  item: Record<string, unknown>,
  ids: ReadonlySet<string>,
): boolean {
  if (kind === "threads") {
    const messages = Array.isArray(item["messages"]) ? item["messages"] : [];
    return messages.some((m) => isRecord(m) && carries(m, ids));
  }
  if (kind === "drafts") return isRecord(item["message"]) && carries(item["message"], ids);
  return carries(item, ids);
}

function carries(message: Record<string, unknown>, ids: ReadonlySet<string>): boolean {
  const labelIds = message["labelIds"];
  return Array.isArray(labelIds) && labelIds.some((id) => typeof id === "string" && ids.has(id));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function unsafeQuery(why: string): SecurixError {
  return new SecurixError("SX-HIDE-QUERY", `Search query cannot be narrowed safely: ${why}`, {
    status: 400,
    llmError:
      "This search query cannot be run here: use balanced quotes and parentheses, no backslashes, and a single q parameter.",
  });
}
