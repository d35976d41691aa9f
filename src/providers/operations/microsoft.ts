import type { OperationEntry } from "../operation.ts";
import { entriesUnder, type EntryRow, type PathSegment } from "../operation_map.ts";

/**
 * Microsoft Graph, named after the Graph SDK's request builders
 * (`microsoft.me.sendMail`, `microsoft.me.messages.delete`). Every entry is
 * served under `/v1.0` and `/beta`, and the signed-in user's `/me/…` is
 * also reachable as `/users/{id}/…`: both map to the same `microsoft.me.*`
 * operation so that naming another mailbox cannot dodge a rule on it.
 * OneDrive items are also addressed by path (`/me/drive/root:/a/b.txt:/content`).
 * `$batch` carries up to twenty calls: multiplexed, classed as a send.
 */

const ME: EntryRow[] = [
  ["GET", "", "get", "read"],
  ["POST", "/sendMail", "sendMail", "send"],
  ["GET", "/messages", "messages.list", "read"],
  ["POST", "/messages", "messages.create", "write"],
  ["GET", "/messages/{messageId}", "messages.get", "read"],
  ["GET", "/messages/{messageId}/$value", "messages.content.get", "read"],
  ["PATCH", "/messages/{messageId}", "messages.update", "write"],
  ["DELETE", "/messages/{messageId}", "messages.delete", "delete"],
  ["POST", "/messages/{messageId}/send", "messages.send", "send"],
  ["POST", "/messages/{messageId}/reply", "messages.reply", "send"],
  ["POST", "/messages/{messageId}/replyAll", "messages.replyAll", "send"],
  ["POST", "/messages/{messageId}/forward", "messages.forward", "send"],
  ["POST", "/messages/{messageId}/createReply", "messages.createReply", "write"],
  ["POST", "/messages/{messageId}/createReplyAll", "messages.createReplyAll", "write"],
  ["POST", "/messages/{messageId}/createForward", "messages.createForward", "write"],
  ["POST", "/messages/{messageId}/move", "messages.move", "write"],
  ["POST", "/messages/{messageId}/copy", "messages.copy", "write"],
  ["GET", "/messages/{messageId}/attachments", "messages.attachments.list", "read"],
  ["GET", "/messages/{messageId}/attachments/{attachmentId}", "messages.attachments.get", "read"],
  ["POST", "/messages/{messageId}/attachments", "messages.attachments.create", "write"],
  ["GET", "/mailFolders", "mailFolders.list", "read"],
  ["POST", "/mailFolders", "mailFolders.create", "write"],
  ["GET", "/mailFolders/{mailFolderId}", "mailFolders.get", "read"],
  ["DELETE", "/mailFolders/{mailFolderId}", "mailFolders.delete", "delete"],
  ["GET", "/mailFolders/{mailFolderId}/messages", "mailFolders.messages.list", "read"],
  ["GET", "/mailFolders/{mailFolderId}/messages/{messageId}", "mailFolders.messages.get", "read"],
  ["POST", "/mailFolders/{mailFolderId}/messages", "mailFolders.messages.create", "write"],
  ["GET", "/mailboxSettings", "mailboxSettings.get", "read"],
  ["PATCH", "/mailboxSettings", "mailboxSettings.update", "write"],
  ["GET", "/mailFolders/inbox/messageRules", "mailFolders.messageRules.list", "read"],
  // A rule can forward every incoming mail out of the account.
  ["POST", "/mailFolders/inbox/messageRules", "mailFolders.messageRules.create", "send"],
  ["GET", "/events", "events.list", "read"],
  ["POST", "/events", "events.create", "write"],
  ["GET", "/events/{eventId}", "events.get", "read"],
  ["PATCH", "/events/{eventId}", "events.update", "write"],
  ["DELETE", "/events/{eventId}", "events.delete", "delete"],
  ["POST", "/events/{eventId}/accept", "events.accept", "write"],
  ["POST", "/events/{eventId}/decline", "events.decline", "write"],
  ["POST", "/events/{eventId}/tentativelyAccept", "events.tentativelyAccept", "write"],
  ["POST", "/events/{eventId}/cancel", "events.cancel", "write"],
  ["POST", "/events/{eventId}/forward", "events.forward", "send"],
  ["GET", "/calendar", "calendar.get", "read"],
  ["GET", "/calendar/events", "calendar.events.list", "read"],
  ["POST", "/calendar/events", "calendar.events.create", "write"],
  ["GET", "/calendars", "calendars.list", "read"],
  ["GET", "/calendarView", "calendarView.list", "read"],
  ["GET", "/contacts", "contacts.list", "read"],
  ["POST", "/contacts", "contacts.create", "write"],
  ["GET", "/contacts/{contactId}", "contacts.get", "read"],
  ["PATCH", "/contacts/{contactId}", "contacts.update", "write"],
  ["DELETE", "/contacts/{contactId}", "contacts.delete", "delete"],
  ["GET", "/chats", "chats.list", "read"],
  ["GET", "/joinedTeams", "joinedTeams.list", "read"],
  ["GET", "/drive", "drive.get", "read"],
  ["GET", "/drive/root", "drive.root.get", "read"],
  ["GET", "/drive/root/children", "drive.root.children.list", "read"],
  ["POST", "/drive/root/children", "drive.root.children.create", "write"],
  ["GET", "/drive/recent", "drive.recent", "read"],
  ["GET", "/drive/sharedWithMe", "drive.sharedWithMe", "read"],
  ["GET", "/drive/items/{itemId}", "drive.items.get", "read"],
  ["PATCH", "/drive/items/{itemId}", "drive.items.update", "write"],
  ["DELETE", "/drive/items/{itemId}", "drive.items.delete", "delete"],
  ["GET", "/drive/items/{itemId}/children", "drive.items.children.list", "read"],
  ["POST", "/drive/items/{itemId}/children", "drive.items.children.create", "write"],
  ["GET", "/drive/items/{itemId}/content", "drive.items.content.get", "read"],
  ["PUT", "/drive/items/{itemId}/content", "drive.items.content.put", "write"],
  ["POST", "/drive/items/{itemId}/copy", "drive.items.copy", "write"],
  ["POST", "/drive/items/{itemId}/createUploadSession", "drive.items.createUploadSession", "write"],
  // Sharing links and invitations hand the item to people outside the account.
  ["POST", "/drive/items/{itemId}/createLink", "drive.items.createLink", "send"],
  ["POST", "/drive/items/{itemId}/invite", "drive.items.invite", "send"],
  ["GET", "/drive/items/{itemId}/permissions", "drive.items.permissions.list", "read"],
  [
    "DELETE",
    "/drive/items/{itemId}/permissions/{permId}",
    "drive.items.permissions.delete",
    "delete",
  ],
  // Path-based addressing: `root:/folder/file.txt:` and `items/{parent}:/name:`.
  ["GET", "/drive/root:/{path+}", "drive.items.get", "read"],
  ["PATCH", "/drive/root:/{path+}", "drive.items.update", "write"],
  ["DELETE", "/drive/root:/{path+}", "drive.items.delete", "delete"],
  ["GET", "/drive/root:/{path+}:/children", "drive.items.children.list", "read"],
  ["GET", "/drive/root:/{path+}:/content", "drive.items.content.get", "read"],
  ["PUT", "/drive/root:/{path+}:/content", "drive.items.content.put", "write"],
  ["POST", "/drive/root:/{path+}:/createUploadSession", "drive.items.createUploadSession", "write"],
  ["POST", "/drive/root:/{path+}:/createLink", "drive.items.createLink", "send"],
  ["POST", "/drive/root:/{path+}:/invite", "drive.items.invite", "send"],
  ["PUT", "/drive/items/{itemId}:/{path+}:/content", "drive.items.content.put", "write"],
  [
    "POST",
    "/drive/items/{itemId}:/{path+}:/createUploadSession",
    "drive.items.createUploadSession",
    "write",
  ],
];

const TOP: EntryRow[] = [
  ["GET", "/users", "users.list", "read"],
  ["GET", "/chats/{chatId}/messages", "chats.messages.list", "read"],
  ["POST", "/chats/{chatId}/messages", "chats.messages.send", "send"],
  ["GET", "/teams/{teamId}/channels", "teams.channels.list", "read"],
  ["GET", "/teams/{teamId}/channels/{channelId}/messages", "teams.channels.messages.list", "read"],
  ["POST", "/teams/{teamId}/channels/{channelId}/messages", "teams.channels.messages.send", "send"],
  [
    "POST",
    "/teams/{teamId}/channels/{channelId}/messages/{messageId}/replies",
    "teams.channels.messages.replies.send",
    "send",
  ],
  ["GET", "/drives/{driveId}/items/{itemId}", "drives.items.get", "read"],
  ["GET", "/drives/{driveId}/items/{itemId}/children", "drives.items.children.list", "read"],
  ["GET", "/drives/{driveId}/items/{itemId}/content", "drives.items.content.get", "read"],
  ["PUT", "/drives/{driveId}/items/{itemId}/content", "drives.items.content.put", "write"],
  ["PATCH", "/drives/{driveId}/items/{itemId}", "drives.items.update", "write"],
  ["DELETE", "/drives/{driveId}/items/{itemId}", "drives.items.delete", "delete"],
  ["POST", "/drives/{driveId}/items/{itemId}/createLink", "drives.items.createLink", "send"],
  ["POST", "/drives/{driveId}/items/{itemId}/invite", "drives.items.invite", "send"],
];

/**
 * Graph also reaches a message through its folder, `mailFolders/{id}/messages/{id}/send`
 * (child folders as deep as they nest: `mailFolders/{id}/childFolders/{id}/…`): the
 * same operation as by `/messages/{id}`, so a rule naming `microsoft.me.messages.send`
 * or `.forward` is not dodged by the folder's path. The folder's own reads of a
 * message keep their `mailFolders.messages.*` names, also in child folders.
 */
function inFolders(rows: readonly EntryRow[]): EntryRow[] {
  const folder = "/mailFolders/{mailFolderPath+}";
  const out: EntryRow[] = [
    ["GET", `${folder}/messages`, "mailFolders.messages.list", "read"],
    ["POST", `${folder}/messages`, "mailFolders.messages.create", "write"],
    ["GET", `${folder}/messages/{messageId}`, "mailFolders.messages.get", "read"],
  ];
  for (const [method, path, id, cls] of rows) {
    if (!path.startsWith("/messages/{messageId}")) continue;
    if (method === "GET" && path === "/messages/{messageId}") continue;
    out.push([method, folder + path, id, cls]);
  }
  return out;
}

const ME_ALL: readonly EntryRow[] = [...ME, ...inFolders(ME)];

function versions(): OperationEntry[] {
  const out: OperationEntry[] = [];
  for (const version of ["/v1.0", "/beta"]) {
    out.push(...entriesUnder(`${version}/me`, "microsoft.me", ME_ALL));
    // `users/{id}` without a tail is users.get, not the signed-in user's profile.
    const named = ME_ALL.filter(([, path]) => path !== "");
    out.push(...entriesUnder(`${version}/users/{userId}`, "microsoft.me", named));
    out.push({
      method: "GET",
      path: `${version}/users/{userId}`,
      id: "microsoft.users.get",
      class: "read",
    });
    out.push(...entriesUnder(version, "microsoft", TOP));
    out.push({
      method: "POST",
      path: `${version}/$batch`,
      id: "microsoft.batch",
      class: "send",
      multiplexed: true,
    });
  }
  return out;
}

export const MICROSOFT_OPERATIONS: readonly OperationEntry[] = versions();

/** Last segments (lowercase) that make an unmapped Graph POST a send. */
export const MICROSOFT_SEND_VERBS = ["sendmail", "send", "reply", "replyall", "forward"];

/** `name(key)`, `name('key')` or `name()`: an OData key or a function call in one segment. */
const ODATA_CALL = /^([a-z_][a-z0-9_.]*)\((.*)\)$/;
const NAMESPACE = "microsoft.graph.";

/**
 * Graph is OData: `chats('19:x')/messages` is `chats/19:x/messages`,
 * `sendMail()` is `sendMail`, `microsoft.graph.send` is `send`. The
 * segments in the form the entries are written in, so none of these
 * spellings turns a mapped call into `microsoft.unknown`.
 */
export function odataSegments(segments: PathSegment[]): PathSegment[] {
  const out: PathSegment[] = [];
  for (const segment of segments) {
    const key = segment.key;
    const call = key === null ? null : ODATA_CALL.exec(key);
    let name = call ? call[1] : key;
    if (name !== null && name.startsWith(NAMESPACE) && name.length > NAMESPACE.length) {
      name = name.slice(NAMESPACE.length);
    }
    if (name === key) {
      out.push(segment);
      continue;
    }
    out.push({ key: name, dot: false });
    const inner = call?.[2].replace(/^'(.*)'$/, "$1") ?? "";
    if (inner === "." || inner === "..") out.push({ key: null, dot: true });
    else if (inner !== "") out.push({ key: inner.includes("/") ? null : inner, dot: false });
  }
  return out;
}
