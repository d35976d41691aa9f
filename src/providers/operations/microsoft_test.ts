import { assertCases } from "./test_cases.ts";

Deno.test("microsoft: mail sends, reads and deletes on /me, /users/{id}, v1.0 and beta", () => {
  assertCases("microsoft", [
    ["POST", "/v1.0/me/sendMail", "microsoft.me.sendMail", "send"],
    ["POST", "/v1.0/me/SENDMAIL/", "microsoft.me.sendMail", "send"],
    ["POST", "/beta/me/sendMail", "microsoft.me.sendMail", "send"],
    ["POST", "/v1.0/users/ann%40corp.com/sendMail", "microsoft.me.sendMail", "send"],
    ["GET", "/v1.0/me/messages", "microsoft.me.messages.list", "read"],
    ["GET", "/v1.0/me/messages/AAMk=", "microsoft.me.messages.get", "read"],
    ["DELETE", "/v1.0/me/messages/AAMk=", "microsoft.me.messages.delete", "delete"],
    ["POST", "/v1.0/me/messages/AAMk=/send", "microsoft.me.messages.send", "send"],
    ["POST", "/v1.0/me/messages/AAMk=/reply", "microsoft.me.messages.reply", "send"],
    ["POST", "/v1.0/me/messages/AAMk=/forward", "microsoft.me.messages.forward", "send"],
    ["POST", "/v1.0/me/messages/AAMk=/createReply", "microsoft.me.messages.createReply", "write"],
    ["GET", "/v1.0/me", "microsoft.me.get", "read"],
    ["GET", "/v1.0/users/ann", "microsoft.users.get", "read"],
    ["POST", "/v1.0/chats/19:abc/messages", "microsoft.chats.messages.send", "send"],
  ]);
});

Deno.test("microsoft: OneDrive by id and by path", () => {
  assertCases("microsoft", [
    ["GET", "/v1.0/me/drive/root/children", "microsoft.me.drive.root.children.list", "read"],
    ["GET", "/v1.0/me/drive/items/01AB", "microsoft.me.drive.items.get", "read"],
    ["DELETE", "/v1.0/me/drive/items/01AB", "microsoft.me.drive.items.delete", "delete"],
    ["PUT", "/v1.0/me/drive/items/01AB/content", "microsoft.me.drive.items.content.put", "write"],
    [
      "PUT",
      "/v1.0/me/drive/root:/a/b.txt:/content",
      "microsoft.me.drive.items.content.put",
      "write",
    ],
    [
      "GET",
      "/v1.0/me/drive/root:/a/b.txt:/content",
      "microsoft.me.drive.items.content.get",
      "read",
    ],
    ["GET", "/v1.0/me/drive/root:/a/b.txt", "microsoft.me.drive.items.get", "read"],
    ["DELETE", "/v1.0/me/drive/root:/a/b.txt:", "microsoft.me.drive.items.delete", "delete"],
    [
      "PUT",
      "/v1.0/me/drive/items/01AB:/new.txt:/content",
      "microsoft.me.drive.items.content.put",
      "write",
    ],
    ["POST", "/v1.0/me/drive/items/01AB/createLink", "microsoft.me.drive.items.createLink", "send"],
  ]);
});

Deno.test("microsoft: $batch is multiplexed; unmapped send actions stay sends", () => {
  assertCases("microsoft", [
    ["POST", "/v1.0/$batch", "microsoft.batch", "send", true],
    ["POST", "/beta/%24batch", "microsoft.batch", "send", true],
    ["POST", "/v1.0/me/contacts/C1/microsoft.graph.forward", "microsoft.unknown", "send"],
    ["POST", "/v1.0/me/contacts/C1/forward()", "microsoft.unknown", "send"],
    ["POST", "/v1.0/me/todo/lists", "microsoft.unknown", "write"],
    ["GET", "/v2.0/me", "microsoft.unknown", "read"],
  ]);
});

Deno.test("microsoft: OData key, function-call and namespace-qualified forms are the same operation", () => {
  // Graph (OData) reads `chats('19:abc')` as `chats/19:abc`, `sendMail()` as
  // `sendMail` and `microsoft.graph.send` as `send`: a rule on one must hold on all.
  assertCases("microsoft", [
    ["POST", "/v1.0/chats('19:abc')/messages", "microsoft.chats.messages.send", "send"],
    ["POST", "/v1.0/chats(%2719:abc%27)/messages", "microsoft.chats.messages.send", "send"],
    ["POST", "/v1.0/users('ann@corp.com')/sendMail", "microsoft.me.sendMail", "send"],
    ["POST", "/v1.0/me/sendMail()", "microsoft.me.sendMail", "send"],
    ["POST", "/v1.0/me/microsoft.graph.sendMail", "microsoft.me.sendMail", "send"],
    ["POST", "/v1.0/me/messages('AAMk=')/send", "microsoft.me.messages.send", "send"],
    ["POST", "/v1.0/me/messages/AAMk=/microsoft.graph.send", "microsoft.me.messages.send", "send"],
    [
      "POST",
      "/v1.0/me/messages/AAMk=/microsoft.graph.replyAll",
      "microsoft.me.messages.replyAll",
      "send",
    ],
    ["DELETE", "/v1.0/me/messages('AAMk=')", "microsoft.me.messages.delete", "delete"],
    [
      "POST",
      "/v1.0/teams('t1')/channels('c1')/messages",
      "microsoft.teams.channels.messages.send",
      "send",
    ],
  ]);
});

Deno.test("microsoft: a message's send, reply and forward through its mail folder are the same operations as by /messages/{id}", () => {
  assertCases("microsoft", [
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=/send",
      "microsoft.me.messages.send",
      "send",
    ],
    [
      "POST",
      "/v1.0/users/ann%40corp.com/mailFolders/AQMk/messages/AAMk=/send",
      "microsoft.me.messages.send",
      "send",
    ],
    [
      "POST",
      "/beta/me/mailFolders/drafts/messages/AAMk=/send",
      "microsoft.me.messages.send",
      "send",
    ],
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=/reply",
      "microsoft.me.messages.reply",
      "send",
    ],
    [
      "POST",
      "/v1.0/users/u1/mailFolders/inbox/messages/AAMk=/replyAll",
      "microsoft.me.messages.replyAll",
      "send",
    ],
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=/forward",
      "microsoft.me.messages.forward",
      "send",
    ],
    // Child folders nest; OData spellings and case change nothing.
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/childFolders/AQMx/childFolders/AQMy/messages/AAMk=/forward",
      "microsoft.me.messages.forward",
      "send",
    ],
    [
      "POST",
      "/v1.0/me/mailFolders('inbox')/messages('AAMk')/microsoft.graph.send",
      "microsoft.me.messages.send",
      "send",
    ],
    [
      "POST",
      "/v1.0/ME/MAILFOLDERS/inbox/MESSAGES/AAMk=/SEND/",
      "microsoft.me.messages.send",
      "send",
    ],
    // The other message actions follow, and the folder's own reads keep their names.
    [
      "DELETE",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=",
      "microsoft.me.messages.delete",
      "delete",
    ],
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=/move",
      "microsoft.me.messages.move",
      "write",
    ],
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=/createForward",
      "microsoft.me.messages.createForward",
      "write",
    ],
    [
      "GET",
      "/v1.0/me/mailFolders/inbox/messages/AAMk=",
      "microsoft.me.mailFolders.messages.get",
      "read",
    ],
    [
      "GET",
      "/v1.0/me/mailFolders/inbox/childFolders/AQMx/messages/AAMk=",
      "microsoft.me.mailFolders.messages.get",
      "read",
    ],
    [
      "POST",
      "/v1.0/me/mailFolders/inbox/messageRules",
      "microsoft.me.mailFolders.messageRules.create",
      "send",
    ],
  ]);
});
