import { assertCases } from "./test_cases.ts";

Deno.test("gmail: main reads, writes, sends and deletes", () => {
  assertCases("gmail", [
    ["GET", "/gmail/v1/users/me/messages", "gmail.users.messages.list", "read"],
    ["GET", "/gmail/v1/users/me/messages/18c1f", "gmail.users.messages.get", "read"],
    ["POST", "/gmail/v1/users/me/messages/send", "gmail.users.messages.send", "send"],
    ["POST", "/gmail/v1/users/me/drafts", "gmail.users.drafts.create", "write"],
    ["POST", "/gmail/v1/users/me/drafts/send", "gmail.users.drafts.send", "send"],
    ["POST", "/gmail/v1/users/me/messages/18c1f/trash", "gmail.users.messages.trash", "write"],
    ["DELETE", "/gmail/v1/users/me/messages/18c1f", "gmail.users.messages.delete", "delete"],
    [
      "POST",
      "/gmail/v1/users/me/messages/batchDelete",
      "gmail.users.messages.batchDelete",
      "delete",
    ],
    [
      "POST",
      "/gmail/v1/users/me/messages/batchModify",
      "gmail.users.messages.batchModify",
      "write",
    ],
    ["POST", "/gmail/v1/users/a%40b.com/messages/1/modify", "gmail.users.messages.modify", "write"],
    [
      "GET",
      "/gmail/v1/users/me/messages/1/attachments/2",
      "gmail.users.messages.attachments.get",
      "read",
    ],
    ["GET", "/gmail/v1/users/me/threads/9", "gmail.users.threads.get", "read"],
    ["DELETE", "/gmail/v1/users/me/threads/9", "gmail.users.threads.delete", "delete"],
    ["PATCH", "/gmail/v1/users/me/labels/L1", "gmail.users.labels.patch", "write"],
    [
      "PUT",
      "/gmail/v1/users/me/settings/autoForwarding",
      "gmail.users.settings.updateAutoForwarding",
      "send",
    ],
  ]);
});

Deno.test("gmail: upload forms are the same operation, the resumable PUT included", () => {
  assertCases("gmail", [
    ["POST", "/upload/gmail/v1/users/me/messages/send", "gmail.users.messages.send", "send"],
    ["PUT", "/upload/gmail/v1/users/me/messages/send", "gmail.users.messages.send", "send"],
    [
      "POST",
      "/resumable/upload/gmail/v1/users/me/messages/send",
      "gmail.users.messages.send",
      "send",
    ],
    ["POST", "/upload/gmail/v1/users/me/drafts", "gmail.users.drafts.create", "write"],
    ["PUT", "/upload/gmail/v1/users/me/drafts/r1", "gmail.users.drafts.update", "write"],
    ["POST", "/upload/gmail/v1/users/me/drafts/send", "gmail.users.drafts.send", "send"],
  ]);
});

Deno.test("gmail: encoding tricks do not dodge messages.send; unknown sends stay sends", () => {
  assertCases("gmail", [
    ["POST", "/gmail/v1/users/me/messages/%73end", "gmail.users.messages.send", "send"],
    ["POST", "/gmail/v1/users/me/messages/SEND", "gmail.users.messages.send", "send"],
    ["POST", "/gmail/v1/users/me/messages/send/", "gmail.users.messages.send", "send"],
    ["POST", "//gmail//v1/users/me/messages//send", "gmail.users.messages.send", "send"],
    [
      "POST",
      "/UPLOAD/gmail/v1/users/me/messages/%53%45%4e%44",
      "gmail.users.messages.send",
      "send",
    ],
    ["POST", "/gmail/v1/users/me/messages/x:send", "gmail.unknown", "send"],
    ["POST", "/gmail/v2/users/me/messages/send", "gmail.unknown", "send"],
    ["POST", "/gmail/v1/users/me/messages/abc/nope", "gmail.unknown", "write"],
    ["GET", "/gmail/v1/nothing", "gmail.unknown", "read"],
    ["DELETE", "/gmail/v1/users/me/whatever/1", "gmail.unknown", "delete"],
  ]);
});

Deno.test("google batch endpoints are multiplexed", () => {
  assertCases("gmail", [
    ["POST", "/batch", "gmail.batch", "send", true],
    ["POST", "/batch/gmail/v1", "gmail.batch", "send", true],
  ]);
  assertCases("drive", [["POST", "/batch/drive/v3", "drive.batch", "send", true]]);
  assertCases("calendar", [["POST", "/batch/calendar/v3/", "calendar.batch", "send", true]]);
});

Deno.test("drive: files, uploads, permissions, v2 aliases", () => {
  assertCases("drive", [
    ["GET", "/drive/v3/files", "drive.files.list", "read"],
    ["GET", "/drive/v3/files/abc", "drive.files.get", "read"],
    ["POST", "/drive/v3/files", "drive.files.create", "write"],
    ["PATCH", "/drive/v3/files/abc", "drive.files.update", "write"],
    ["DELETE", "/drive/v3/files/abc", "drive.files.delete", "delete"],
    ["DELETE", "/drive/v3/files/trash", "drive.files.emptyTrash", "delete"],
    ["POST", "/drive/v3/files/abc/copy", "drive.files.copy", "write"],
    ["GET", "/drive/v3/files/abc/export", "drive.files.export", "read"],
    ["POST", "/drive/v3/files/abc/permissions", "drive.permissions.create", "send"],
    ["POST", "/upload/drive/v3/files", "drive.files.create", "write"],
    ["PUT", "/upload/drive/v3/files", "drive.files.create", "write"],
    ["PATCH", "/upload/drive/v3/files/abc", "drive.files.update", "write"],
    ["DELETE", "/drive/v2/files/abc", "drive.files.delete", "delete"],
    ["GET", "/calendar/v3/colors", "drive.unknown", "read"],
  ]);
});

Deno.test("calendar: events and calendar list", () => {
  assertCases("calendar", [
    ["GET", "/calendar/v3/users/me/calendarList", "calendar.calendarList.list", "read"],
    ["GET", "/calendar/v3/calendars/primary/events", "calendar.events.list", "read"],
    ["GET", "/calendar/v3/calendars/primary/events/e1", "calendar.events.get", "read"],
    ["POST", "/calendar/v3/calendars/a%40b.com/events", "calendar.events.insert", "write"],
    ["PUT", "/calendar/v3/calendars/primary/events/e1", "calendar.events.update", "write"],
    ["PATCH", "/calendar/v3/calendars/primary/events/e1", "calendar.events.patch", "write"],
    ["DELETE", "/calendar/v3/calendars/primary/events/e1", "calendar.events.delete", "delete"],
    ["POST", "/calendar/v3/calendars/primary/events/quickAdd", "calendar.events.quickAdd", "write"],
    ["POST", "/calendar/v3/freeBusy", "calendar.freebusy.query", "read"],
  ]);
});
