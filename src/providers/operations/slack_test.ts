import assert from "node:assert/strict";
import { resolveSlackPath, slackVerbClass } from "./slack.ts";
import { assertCases } from "./test_cases.ts";

Deno.test("slack: the table, by GET or POST, in any letter case", () => {
  assertCases("slack", [
    ["POST", "/api/chat.postMessage", "slack.chat.postMessage", "send"],
    ["GET", "/api/chat.postMessage", "slack.chat.postMessage", "send"],
    ["POST", "/api/CHAT.POSTMESSAGE", "slack.chat.postMessage", "send"],
    ["POST", "/api/chat.%70ostMessage/", "slack.chat.postMessage", "send"],
    ["POST", "/api/chat.postEphemeral", "slack.chat.postEphemeral", "send"],
    ["POST", "/api/chat.scheduleMessage", "slack.chat.scheduleMessage", "send"],
    ["POST", "/api/files.completeUploadExternal", "slack.files.completeUploadExternal", "send"],
    ["POST", "/api/files.upload", "slack.files.upload", "send"],
    ["POST", "/api/chat.delete", "slack.chat.delete", "delete"],
    ["POST", "/api/chat.update", "slack.chat.update", "write"],
    ["GET", "/api/conversations.history", "slack.conversations.history", "read"],
    ["GET", "/api/conversations.list", "slack.conversations.list", "read"],
    ["GET", "/api/conversations.replies", "slack.conversations.replies", "read"],
  ]);
});

Deno.test("slack: methods outside the table are classed by their verb", () => {
  assertCases("slack", [
    ["POST", "/api/admin.conversations.archive", "slack.admin.conversations.archive", "delete"],
    ["POST", "/api/files.remote.share", "slack.files.remote.share", "send"],
    ["GET", "/api/apps.permissions.info", "slack.apps.permissions.info", "read"],
    ["POST", "/api/calls.add", "slack.calls.add", "write"],
    ["POST", "/api/files.uploadV2", "slack.files.uploadV2", "send"],
    ["POST", "/api/oauth.v2.access", "slack.oauth.v2.access", "write"],
  ]);
  assert.equal(slackVerbClass("x.listen"), "write", "a verb is a whole word");
  assert.equal(slackVerbClass("x.getSomething"), "read");
  assert.equal(slackVerbClass("x.removeAll"), "delete");
});

Deno.test("slack: malformed methods, other paths and methods are slack.unknown", () => {
  assertCases("slack", [
    ["POST", "/api/chat", "slack.unknown", "write"],
    ["POST", "/api/chat..postMessage", "slack.unknown", "write"],
    ["POST", "/api/chat.post-message", "slack.unknown", "write"],
    ["POST", "/api/chat.postMessage/extra", "slack.unknown", "write"],
    ["POST", "/api/chat%2FpostMessage", "slack.unknown", "write"],
    ["GET", "/other/chat.postMessage", "slack.unknown", "read"],
    ["DELETE", "/api/chat.delete", "slack.unknown", "delete"],
  ]);
  assert.equal(resolveSlackPath("PUT", "/api/chat.postMessage"), null);
});

Deno.test("slack: a method name past 128 characters is not taken into an operation id", () => {
  const long = `chat.${"x".repeat(200)}`;
  assert.equal(resolveSlackPath("POST", `/api/${long}`), null);
  assert.equal(resolveSlackPath("POST", "/api/chat.xyzzy")?.id, "slack.chat.xyzzy");
});
