import type { OperationEntry } from "../operation.ts";
import { entriesUnder, type EntryRow } from "../operation_map.ts";

/**
 * Gmail, Drive and Calendar, named as in the Google API reference and the
 * `googleapis` client (`gmail.users.messages.send`). Media uploads go to
 * `/upload/…` (and `/resumable/upload/…`) with the same operation: an
 * upload-protocol `messages/send` is a send like the plain one. A resumable
 * upload is started with POST and completed with PUT on the session URI
 * (the same path plus `upload_id`), and it is the final PUT that makes the
 * call happen, so every upload path is mapped for PUT as well.
 *
 * Google's `/batch` endpoints carry any number of calls in one multipart
 * body: multiplexed, classed as the worst call they could carry.
 */

const GMAIL_USER: EntryRow[] = [
  ["GET", "/profile", "getProfile", "read"],
  ["GET", "/history", "history.list", "read"],
  ["POST", "/watch", "watch", "write"],
  ["POST", "/stop", "stop", "write"],
  ["GET", "/messages", "messages.list", "read"],
  ["GET", "/messages/{id}", "messages.get", "read"],
  ["POST", "/messages", "messages.insert", "write"],
  ["POST", "/messages/import", "messages.import", "write"],
  ["POST", "/messages/send", "messages.send", "send"],
  ["DELETE", "/messages/{id}", "messages.delete", "delete"],
  ["POST", "/messages/{id}/trash", "messages.trash", "write"],
  ["POST", "/messages/{id}/untrash", "messages.untrash", "write"],
  ["POST", "/messages/{id}/modify", "messages.modify", "write"],
  ["POST", "/messages/batchModify", "messages.batchModify", "write"],
  ["POST", "/messages/batchDelete", "messages.batchDelete", "delete"],
  ["GET", "/messages/{messageId}/attachments/{id}", "messages.attachments.get", "read"],
  ["GET", "/drafts", "drafts.list", "read"],
  ["GET", "/drafts/{id}", "drafts.get", "read"],
  ["POST", "/drafts", "drafts.create", "write"],
  ["PUT", "/drafts/{id}", "drafts.update", "write"],
  ["DELETE", "/drafts/{id}", "drafts.delete", "delete"],
  ["POST", "/drafts/send", "drafts.send", "send"],
  ["GET", "/threads", "threads.list", "read"],
  ["GET", "/threads/{id}", "threads.get", "read"],
  ["POST", "/threads/{id}/modify", "threads.modify", "write"],
  ["POST", "/threads/{id}/trash", "threads.trash", "write"],
  ["POST", "/threads/{id}/untrash", "threads.untrash", "write"],
  ["DELETE", "/threads/{id}", "threads.delete", "delete"],
  ["GET", "/labels", "labels.list", "read"],
  ["GET", "/labels/{id}", "labels.get", "read"],
  ["POST", "/labels", "labels.create", "write"],
  ["PUT", "/labels/{id}", "labels.update", "write"],
  ["PATCH", "/labels/{id}", "labels.patch", "write"],
  ["DELETE", "/labels/{id}", "labels.delete", "delete"],
  ["GET", "/settings/filters", "settings.filters.list", "read"],
  ["POST", "/settings/filters", "settings.filters.create", "write"],
  ["DELETE", "/settings/filters/{id}", "settings.filters.delete", "delete"],
  ["GET", "/settings/sendAs", "settings.sendAs.list", "read"],
  ["GET", "/settings/forwardingAddresses", "settings.forwardingAddresses.list", "read"],
  // Mail leaves the account through these once set up: they are sends.
  ["POST", "/settings/forwardingAddresses", "settings.forwardingAddresses.create", "send"],
  ["GET", "/settings/autoForwarding", "settings.getAutoForwarding", "read"],
  ["PUT", "/settings/autoForwarding", "settings.updateAutoForwarding", "send"],
  ["GET", "/settings/vacation", "settings.getVacation", "read"],
  ["PUT", "/settings/vacation", "settings.updateVacation", "write"],
];

/** Media-upload forms of these Gmail operations (method, path under the user, id). */
const GMAIL_UPLOADS: EntryRow[] = [
  ["POST", "/messages", "messages.insert", "write"],
  ["POST", "/messages/import", "messages.import", "write"],
  ["POST", "/messages/send", "messages.send", "send"],
  ["POST", "/drafts", "drafts.create", "write"],
  ["PUT", "/drafts/{id}", "drafts.update", "write"],
  ["POST", "/drafts/send", "drafts.send", "send"],
];

const DRIVE: EntryRow[] = [
  ["GET", "/about", "about.get", "read"],
  ["GET", "/changes", "changes.list", "read"],
  ["GET", "/changes/startPageToken", "changes.getStartPageToken", "read"],
  ["GET", "/files", "files.list", "read"],
  ["GET", "/files/generateIds", "files.generateIds", "read"],
  // `alt=media` downloads through files.get: still a read.
  ["GET", "/files/{fileId}", "files.get", "read"],
  ["POST", "/files", "files.create", "write"],
  ["PATCH", "/files/{fileId}", "files.update", "write"],
  ["DELETE", "/files/{fileId}", "files.delete", "delete"],
  ["DELETE", "/files/trash", "files.emptyTrash", "delete"],
  ["POST", "/files/{fileId}/copy", "files.copy", "write"],
  ["GET", "/files/{fileId}/export", "files.export", "read"],
  ["GET", "/files/{fileId}/download", "files.download", "read"],
  ["POST", "/files/{fileId}/watch", "files.watch", "write"],
  ["GET", "/files/{fileId}/permissions", "permissions.list", "read"],
  ["GET", "/files/{fileId}/permissions/{permissionId}", "permissions.get", "read"],
  // Sharing hands the file to someone outside the account (and mails them by default).
  ["POST", "/files/{fileId}/permissions", "permissions.create", "send"],
  ["PATCH", "/files/{fileId}/permissions/{permissionId}", "permissions.update", "write"],
  ["DELETE", "/files/{fileId}/permissions/{permissionId}", "permissions.delete", "delete"],
  ["GET", "/files/{fileId}/comments", "comments.list", "read"],
  ["GET", "/files/{fileId}/comments/{commentId}", "comments.get", "read"],
  ["POST", "/files/{fileId}/comments", "comments.create", "write"],
  ["PATCH", "/files/{fileId}/comments/{commentId}", "comments.update", "write"],
  ["DELETE", "/files/{fileId}/comments/{commentId}", "comments.delete", "delete"],
  ["GET", "/files/{fileId}/revisions", "revisions.list", "read"],
  ["GET", "/files/{fileId}/revisions/{revisionId}", "revisions.get", "read"],
  ["DELETE", "/files/{fileId}/revisions/{revisionId}", "revisions.delete", "delete"],
  ["GET", "/drives", "drives.list", "read"],
  ["GET", "/drives/{driveId}", "drives.get", "read"],
  ["POST", "/drives", "drives.create", "write"],
  ["DELETE", "/drives/{driveId}", "drives.delete", "delete"],
];

const DRIVE_UPLOADS: EntryRow[] = [
  ["POST", "/files", "files.create", "write"],
  ["PATCH", "/files/{fileId}", "files.update", "write"],
];

/**
 * Drive v2 is still served; its main calls get the v3 ids so that a rule on
 * `drive.files.delete` cannot be dodged by switching version.
 */
const DRIVE_V2: EntryRow[] = [
  ["GET", "/files", "files.list", "read"],
  ["GET", "/files/{fileId}", "files.get", "read"],
  ["POST", "/files", "files.create", "write"],
  ["PUT", "/files/{fileId}", "files.update", "write"],
  ["PATCH", "/files/{fileId}", "files.update", "write"],
  ["DELETE", "/files/{fileId}", "files.delete", "delete"],
  ["DELETE", "/files/trash", "files.emptyTrash", "delete"],
  ["POST", "/files/{fileId}/trash", "files.trash", "write"],
  ["POST", "/files/{fileId}/copy", "files.copy", "write"],
  ["POST", "/files/{fileId}/permissions", "permissions.create", "send"],
  ["DELETE", "/files/{fileId}/permissions/{permissionId}", "permissions.delete", "delete"],
];

const CALENDAR: EntryRow[] = [
  ["GET", "/users/me/calendarList", "calendarList.list", "read"],
  ["GET", "/users/me/calendarList/{calendarId}", "calendarList.get", "read"],
  ["POST", "/users/me/calendarList", "calendarList.insert", "write"],
  ["PATCH", "/users/me/calendarList/{calendarId}", "calendarList.patch", "write"],
  ["DELETE", "/users/me/calendarList/{calendarId}", "calendarList.delete", "delete"],
  ["GET", "/users/me/settings", "settings.list", "read"],
  ["GET", "/colors", "colors.get", "read"],
  ["POST", "/freeBusy", "freebusy.query", "read"],
  ["POST", "/calendars", "calendars.insert", "write"],
  ["GET", "/calendars/{calendarId}", "calendars.get", "read"],
  ["PUT", "/calendars/{calendarId}", "calendars.update", "write"],
  ["PATCH", "/calendars/{calendarId}", "calendars.patch", "write"],
  ["DELETE", "/calendars/{calendarId}", "calendars.delete", "delete"],
  ["POST", "/calendars/{calendarId}/clear", "calendars.clear", "delete"],
  ["GET", "/calendars/{calendarId}/acl", "acl.list", "read"],
  ["POST", "/calendars/{calendarId}/acl", "acl.insert", "send"],
  ["DELETE", "/calendars/{calendarId}/acl/{ruleId}", "acl.delete", "delete"],
  ["GET", "/calendars/{calendarId}/events", "events.list", "read"],
  ["GET", "/calendars/{calendarId}/events/{eventId}", "events.get", "read"],
  ["GET", "/calendars/{calendarId}/events/{eventId}/instances", "events.instances", "read"],
  ["POST", "/calendars/{calendarId}/events", "events.insert", "write"],
  ["POST", "/calendars/{calendarId}/events/import", "events.import", "write"],
  ["POST", "/calendars/{calendarId}/events/quickAdd", "events.quickAdd", "write"],
  ["POST", "/calendars/{calendarId}/events/watch", "events.watch", "write"],
  ["PUT", "/calendars/{calendarId}/events/{eventId}", "events.update", "write"],
  ["PATCH", "/calendars/{calendarId}/events/{eventId}", "events.patch", "write"],
  ["POST", "/calendars/{calendarId}/events/{eventId}/move", "events.move", "write"],
  ["DELETE", "/calendars/{calendarId}/events/{eventId}", "events.delete", "delete"],
];

/** `/upload/<api>` and `/resumable/upload/<api>`, each for its method and for the completing PUT. */
function uploads(apiPath: string, idPrefix: string, rows: readonly EntryRow[]): OperationEntry[] {
  const out: OperationEntry[] = [];
  for (const prefix of ["/upload", "/resumable/upload"]) {
    for (const entry of entriesUnder(prefix + apiPath, idPrefix, rows)) {
      out.push(entry);
      if (entry.method !== "PUT") out.push({ ...entry, method: "PUT" });
    }
  }
  return out;
}

function batch(provider: string, cls: OperationEntry["class"]): OperationEntry[] {
  return ["/batch", "/batch/{api+}"].map((path) => ({
    method: "POST",
    path,
    id: `${provider}.batch`,
    class: cls,
    multiplexed: true,
  }));
}

export const GMAIL_OPERATIONS: readonly OperationEntry[] = [
  ...entriesUnder("/gmail/v1/users/{userId}", "gmail.users", GMAIL_USER),
  ...uploads("/gmail/v1/users/{userId}", "gmail.users", GMAIL_UPLOADS),
  // A batch can carry messages.send (with a `raw` body).
  ...batch("gmail", "send"),
];

export const DRIVE_OPERATIONS: readonly OperationEntry[] = [
  ...entriesUnder("/drive/v3", "drive", DRIVE),
  ...uploads("/drive/v3", "drive", DRIVE_UPLOADS),
  ...entriesUnder("/drive/v2", "drive", DRIVE_V2),
  ...uploads("/drive/v2", "drive", [
    ["POST", "/files", "files.create", "write"],
    ["PUT", "/files/{fileId}", "files.update", "write"],
  ]),
  // A batch can carry permissions.create.
  ...batch("drive", "send"),
];

export const CALENDAR_OPERATIONS: readonly OperationEntry[] = [
  ...entriesUnder("/calendar/v3", "calendar", CALENDAR),
  // A batch can carry acl.insert.
  ...batch("calendar", "send"),
];
