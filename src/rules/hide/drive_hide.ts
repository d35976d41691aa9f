import { isRecord } from "../json_value.ts";
import { SecurixError } from "../../errors/securix_error.ts";
import type { AnswerOutcome, HideContext, HidePolicy, HideReach } from "./hide_plan.ts";

/**
 * Drive folders hidden by id. A file is hidden when one of its parents is a
 * hidden folder, or when it is one. Only direct children: Drive has no
 * ancestor query, and walking up every file's parents on every call would
 * cost one lookup per level (see the README).
 */

const Q = (query: boolean, answer: boolean): HideReach => ({ query, answer, covered: true });

/** Operations hide understands; any other `drive.*` id is uncovered. */
export const DRIVE_REACH: ReadonlyMap<string, HideReach> = new Map([
  ["drive.files.list", { ...Q(true, true), listed: "files" }],
  ["drive.files.get", Q(false, true)],
  // Single items, checked by targetHidden from their path.
  ["drive.files.update", Q(false, false)],
  ["drive.files.delete", Q(false, false)],
  ["drive.files.copy", Q(false, false)],
  ["drive.files.export", Q(false, false)],
  ["drive.files.download", Q(false, false)],
  ["drive.files.watch", Q(false, false)],
  ["drive.files.modifyLabels", Q(false, false)],
  ["drive.files.listLabels", Q(false, false)],
  ["drive.permissions.create", Q(false, false)],
  ["drive.permissions.list", Q(false, false)],
  ["drive.permissions.get", Q(false, false)],
  ["drive.permissions.update", Q(false, false)],
  ["drive.permissions.delete", Q(false, false)],
  ["drive.revisions.list", Q(false, false)],
  ["drive.revisions.get", Q(false, false)],
  ["drive.revisions.update", Q(false, false)],
  ["drive.revisions.delete", Q(false, false)],
  ["drive.comments.list", Q(false, false)],
  ["drive.comments.get", Q(false, false)],
  ["drive.comments.create", Q(false, false)],
  ["drive.comments.update", Q(false, false)],
  ["drive.comments.delete", Q(false, false)],
  ["drive.replies.list", Q(false, false)],
  ["drive.replies.create", Q(false, false)],
  // Reveal nothing hidden (files.create may write into a hidden folder: see the README).
  ["drive.files.create", Q(false, false)],
  ["drive.files.generateIds", Q(false, false)],
  ["drive.files.emptyTrash", Q(false, false)],
  ["drive.about.get", Q(false, false)],
  ["drive.drives.list", Q(false, false)],
  ["drive.drives.get", Q(false, false)],
]);

/** `/drive/v3/files/{id}` and everything under it (permissions, revisions, comments, uploads). */
const ITEM_PATH = /^(?:\/upload)?\/drive\/v[23]\/files\/([^/]+)(?:\/.*)?$/;
/** Path words after `files/` that are collection actions, not file ids. */
const NOT_ITEMS = new Set(["generateIds", "trash"]);
const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** files.list: `q` gets `not '<id>' in parents` per hidden folder, before the caller's terms. */
export function driveNarrowQuery(
  operationId: string,
  query: string,
  folders: readonly string[],
): string {
  if (folders.length === 0 || DRIVE_REACH.get(operationId)?.query !== true) return query;
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  const given = params.getAll("q");
  if (given.length > 1) throw unsafeQuery("more than one q parameter");
  const caller = (given[0] ?? "").trim();
  if (caller !== "" && !balancedDriveQuery(caller)) {
    throw unsafeQuery("an unterminated string or unbalanced parentheses");
  }
  const terms = [...new Set(folders)].map((id) => `not '${escapeDrive(id)}' in parents`);
  params.set("q", caller === "" ? terms.join(" and ") : `${terms.join(" and ")} and (${caller})`);
  return `?${params.toString()}`;
}

/** Strings in single quotes with `\'` and `\\` escapes (Drive's grammar), parentheses closed. */
export function balancedDriveQuery(q: string): boolean {
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === "'") quoted = false;
    } else if (c === "'") quoted = true;
    else if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return false;
  }
  return !quoted && depth === 0;
}

function escapeDrive(id: string): string {
  return id.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
}

/**
 * Whether the file a call targets is hidden: asks Drive for its parents.
 * Moving a file into a hidden folder (`addParents`) counts as touching it.
 */
export async function driveTargetHidden(
  path: string,
  query: string,
  ctx: HideContext,
): Promise<boolean> {
  const folders = new Set(ctx.policy.folders);
  if (folders.size === 0) return false;
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  const added = params.getAll("addParents").flatMap((v) => v.split(","));
  if (added.some((id) => folders.has(id.trim()))) return true;
  const m = ITEM_PATH.exec(path);
  if (!m || NOT_ITEMS.has(m[1])) return false;
  const id = m[1];
  // An id Drive never issues (encoded, dotted) could reach another resource than the one looked up.
  if (!SAFE_ID.test(id)) return true;
  if (folders.has(id)) return true;
  const answer = await ctx.lookup(`/drive/v3/files/${id}?fields=id,parents&supportsAllDrives=true`)
    .catch(() => null);
  if (!isRecord(answer)) return true;
  return inHidden(answer, folders);
}

/** files.list: drop hidden files (when the caller asked for `parents`); files.get: hidden → 404. */
export function driveFilterAnswer(
  operationId: string,
  json: unknown,
  policy: HidePolicy,
): AnswerOutcome {
  const folders = new Set(policy.folders);
  if (folders.size === 0 || !isRecord(json)) return null;
  if (operationId === "drive.files.get") {
    return inHidden(json, folders) ? { action: "hidden" } : null;
  }
  if (operationId !== "drive.files.list" || !Array.isArray(json["files"])) return null;
  const kept = json["files"].filter((f) => !(isRecord(f) && inHidden(f, folders)));
  return {
    action: "filtered",
    json: { ...json, files: kept },
    removed: json["files"].length - kept.length,
  };
}

function inHidden(file: Record<string, unknown>, folders: ReadonlySet<string>): boolean {
  if (typeof file["id"] === "string" && folders.has(file["id"])) return true;
  const parents = file["parents"];
  return Array.isArray(parents) && parents.some((p) => typeof p === "string" && folders.has(p));
}

function unsafeQuery(why: string): SecurixError {
  return new SecurixError("SX-HIDE-QUERY", `Search query cannot be narrowed safely: ${why}`, {
    status: 400,
    llmError:
      "This search query cannot be run here: close every quoted string and parenthesis, and send a single q parameter.",
  });
}
