import type { CallShape, Operation, OperationClass, OperationEntry } from "../operation.ts";
import { type PathSegment, pathSegments } from "../operation_map.ts";

/**
 * Slack Web API: every call is `/api/<method>` (`/api/chat.postMessage` →
 * `slack.chat.postMessage`), by GET or POST alike. Known methods come from
 * the table below (looked up case-insensitively, answered with Slack's own
 * spelling, so `CHAT.POSTMESSAGE` cannot dodge a rule); other well-formed
 * method names are classed by the verb that starts their last part.
 */

const TABLE: ReadonlyArray<readonly [string, OperationClass]> = [
  ["chat.postMessage", "send"],
  ["chat.postEphemeral", "send"],
  ["chat.scheduleMessage", "send"],
  ["chat.meMessage", "send"],
  ["chat.update", "write"],
  ["chat.delete", "delete"],
  ["chat.deleteScheduledMessage", "delete"],
  ["chat.getPermalink", "read"],
  ["chat.scheduledMessages.list", "read"],
  ["conversations.list", "read"],
  ["conversations.history", "read"],
  ["conversations.replies", "read"],
  ["conversations.info", "read"],
  ["conversations.members", "read"],
  ["conversations.create", "write"],
  ["conversations.join", "write"],
  ["conversations.leave", "write"],
  ["conversations.invite", "write"],
  ["conversations.kick", "write"],
  ["conversations.rename", "write"],
  ["conversations.setTopic", "write"],
  ["conversations.setPurpose", "write"],
  ["conversations.mark", "write"],
  ["conversations.open", "write"],
  ["conversations.close", "write"],
  ["conversations.archive", "delete"],
  ["conversations.unarchive", "write"],
  ["files.upload", "send"],
  ["files.getUploadURLExternal", "send"],
  ["files.completeUploadExternal", "send"],
  ["files.sharedPublicURL", "send"],
  ["files.list", "read"],
  ["files.info", "read"],
  ["files.delete", "delete"],
  ["files.revokePublicURL", "write"],
  ["reactions.add", "write"],
  ["reactions.remove", "write"],
  ["reactions.get", "read"],
  ["reactions.list", "read"],
  ["pins.add", "write"],
  ["pins.remove", "write"],
  ["pins.list", "read"],
  ["bookmarks.add", "write"],
  ["bookmarks.remove", "delete"],
  ["bookmarks.list", "read"],
  ["users.list", "read"],
  ["users.info", "read"],
  ["users.lookupByEmail", "read"],
  ["users.conversations", "read"],
  ["users.getPresence", "read"],
  ["users.profile.get", "read"],
  ["users.profile.set", "write"],
  ["users.setPresence", "write"],
  ["team.info", "read"],
  ["auth.test", "read"],
  ["search.messages", "read"],
  ["search.files", "read"],
  ["search.all", "read"],
  ["reminders.add", "write"],
  ["reminders.list", "read"],
  ["reminders.delete", "delete"],
  ["dnd.info", "read"],
  ["emoji.list", "read"],
  ["usergroups.list", "read"],
  ["views.open", "write"],
  ["views.publish", "write"],
];

const BY_KEY: ReadonlyMap<string, Operation> = new Map(
  TABLE.map((
    [method, cls],
  ) => [method.toLowerCase(), Object.freeze({ id: `slack.${method}`, class: cls })]),
);

/** `securix providers operations slack` lists the table (GET is accepted as well). */
export const SLACK_OPERATIONS: readonly OperationEntry[] = TABLE.map(([method, cls]) => ({
  method: "POST",
  path: `/api/${method}`,
  id: `slack.${method}`,
  class: cls,
}));

const MAX_METHOD = 128;
const METHOD_NAME = /^[a-zA-Z][a-zA-Z0-9]*(\.[a-zA-Z][a-zA-Z0-9]*)+$/;

const VERBS: ReadonlyArray<readonly [string, OperationClass]> = [
  ["list", "read"],
  ["info", "read"],
  ["history", "read"],
  ["get", "read"],
  ["delete", "delete"],
  ["remove", "delete"],
  ["archive", "delete"],
  ["post", "send"],
  ["send", "send"],
  ["share", "send"],
  ["upload", "send"],
];

/**
 * The class of a method outside the table, by the verb its last part starts
 * with: `admin.conversations.archive` deletes, `files.remote.share` sends,
 * `apps.permissions.info` reads; anything else writes.
 */
export function slackVerbClass(method: string): OperationClass {
  const last = method.slice(method.lastIndexOf(".") + 1);
  for (const [verb, cls] of VERBS) {
    if (!last.startsWith(verb)) continue;
    // `getPermalink`, `postMessage`: the verb ends where a capital or the name does.
    const rest = last.slice(verb.length);
    if (rest === "" || /^[A-Z0-9]/.test(rest)) return cls;
  }
  return "write";
}

/** Resolves `/api/<method>`; anything else is `slack.unknown`, null lets the caller say so. */
export function resolveSlack(call: CallShape, segments: readonly PathSegment[]): Operation | null {
  const m = call.method.toUpperCase();
  if (m !== "GET" && m !== "POST" && m !== "HEAD") return null;
  if (segments.length !== 2 || segments[0].key !== "api") return null;
  const key = segments[1].key;
  if (key === null) return null;
  const known = BY_KEY.get(key);
  if (known) return known;
  // The id keeps the name as decoded (not lowercased) so it reads like Slack's.
  const name = decodeURIComponent(call.path.split("/").filter((s) => s !== "")[1]);
  // Ids reach the audit trail and the rules' cache: a caller must not make them huge.
  if (name.length > MAX_METHOD || !METHOD_NAME.test(name)) return null;
  return { id: `slack.${name}`, class: slackVerbClass(name) };
}

/** For tests: resolve a path without building the map. */
export function resolveSlackPath(method: string, path: string): Operation | null {
  return resolveSlack({ method, path, query: "" }, pathSegments(path));
}
