import assert from "node:assert/strict";
import { draftSendLookup, gmailSend, sendFromDraft } from "./gmail_send.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const b64url = (s: string) =>
  btoa(String.fromCharCode(...enc(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

// As googleapis' users.messages.send builds it from a nodemailer-like message.
const RAW = [
  "From: Agent <agent@acme.com>",
  'To: "Doe, John" <john@partner.com>, undisclosed-recipients:;',
  "Cc: team: ann@acme.com,",
  " bob@acme.com;",
  "Bcc: audit@acme.com",
  "Subject: Contract draft",
  "MIME-Version: 1.0",
  "Content-Type: text/plain; charset=UTF-8",
  "Content-Transfer-Encoding: base64",
  "",
  btoa("This is CONFIDENTIAL, do not share.\n"),
].join("\r\n");
const SEND = "/gmail/v1/users/me/messages/send";
const UPLOAD = "/upload/gmail/v1/users/me/messages/send";
const OP = "gmail.users.messages.send";

Deno.test("gmailSend: JSON {raw} base64url message, recipients from To/Cc/Bcc and decoded text", () => {
  const out = gmailSend(OP, SEND, "application/json", enc(JSON.stringify({ raw: b64url(RAW) })));
  assert.deepEqual(out, {
    recipients: ["john@partner.com", "ann@acme.com", "bob@acme.com", "audit@acme.com"],
    text: "Contract draft\nThis is CONFIDENTIAL, do not share.\n",
  });
});

Deno.test("gmailSend: media upload of message/rfc822 bytes", () => {
  const out = gmailSend(OP, UPLOAD, "message/rfc822", enc(RAW));
  assert.deepEqual(out?.recipients, [
    "john@partner.com",
    "ann@acme.com",
    "bob@acme.com",
    "audit@acme.com",
  ]);
});

Deno.test("gmailSend: multipart/related upload (metadata JSON + message/rfc822)", () => {
  const body = [
    "--===boundary===",
    "Content-Type: application/json; charset=UTF-8",
    "",
    JSON.stringify({ threadId: "18c0" }),
    "--===boundary===",
    "Content-Type: message/rfc822",
    "",
    RAW,
    "--===boundary===--",
    "",
  ].join("\r\n");
  const out = gmailSend(OP, UPLOAD, 'multipart/related; boundary="===boundary==="', enc(body));
  assert.deepEqual(out?.recipients, [
    "john@partner.com",
    "ann@acme.com",
    "bob@acme.com",
    "audit@acme.com",
  ]);
  assert.match(out?.text ?? "", /CONFIDENTIAL/);
});

Deno.test("gmailSend: two candidate messages in one upload are unreadable, not a guess", () => {
  const body = [
    "--b",
    "Content-Type: application/json",
    "",
    JSON.stringify({ raw: b64url("To: inside@acme.com\r\n\r\nx") }),
    "--b",
    "Content-Type: message/rfc822",
    "",
    "To: outside@evil.com\r\n\r\ny",
    "--b--",
  ].join("\r\n");
  assert.deepEqual(gmailSend(OP, UPLOAD, "multipart/related; boundary=b", enc(body)), {
    recipients: null,
    text: null,
  });
});

Deno.test("gmailSend: malformed payloads are unreadable sends", () => {
  const unreadable = { recipients: null, text: null };
  assert.deepEqual(gmailSend(OP, SEND, "application/json", null), unreadable);
  assert.deepEqual(gmailSend(OP, SEND, "application/json", enc("{not json")), unreadable);
  assert.deepEqual(gmailSend(OP, SEND, "application/json", enc('{"raw": 42}')), unreadable);
  assert.deepEqual(gmailSend(OP, SEND, "application/json", enc('{"raw": "!!!"}')), unreadable);
  assert.deepEqual(gmailSend(OP, UPLOAD, "multipart/related", enc("x")), unreadable);
  // Resumable upload's first call: metadata only, the message comes later.
  assert.deepEqual(gmailSend(OP, UPLOAD, "application/json", enc("{}")), unreadable);
  const junk = gmailSend(
    OP,
    SEND,
    "application/json",
    enc(JSON.stringify({ raw: b64url("garbage line\r\n\r\n") })),
  );
  assert.deepEqual(junk, unreadable);
  const badTo = gmailSend(OP, UPLOAD, "message/rfc822", enc("To: John Smith\r\n\r\nhi"));
  assert.deepEqual(badTo, { recipients: null, text: "hi" });
});

Deno.test("gmailSend: drafts.send is unreadable; drafts.create and import are no sends", () => {
  const body = enc(JSON.stringify({ id: "r-123" }));
  assert.deepEqual(
    gmailSend(
      "gmail.users.drafts.send",
      "/gmail/v1/users/me/drafts/send",
      "application/json",
      body,
    ),
    {
      recipients: null,
      text: null,
    },
  );
  const draft = enc(JSON.stringify({ message: { raw: b64url(RAW) } }));
  assert.equal(
    gmailSend("gmail.users.drafts.create", "/gmail/v1/users/me/drafts", "application/json", draft),
    null,
  );
  assert.equal(
    gmailSend(
      "gmail.users.messages.import",
      "/gmail/v1/users/me/messages/import",
      "application/json",
      draft,
    ),
    null,
  );
});

Deno.test("draftSendLookup and sendFromDraft: a draft's recipients read through a lookup", () => {
  const body = enc(JSON.stringify({ id: "r-5512" }));
  assert.equal(
    draftSendLookup("/gmail/v1/users/ann%40acme.com/drafts/send", body),
    "/gmail/v1/users/ann%40acme.com/drafts/r-5512?format=raw",
  );
  assert.equal(draftSendLookup("/gmail/v1/users/me/drafts/send", enc('{"id":"../x"}')), null);
  assert.equal(draftSendLookup("/gmail/v1/users/me/drafts/send", enc("{}")), null);
  assert.equal(draftSendLookup("/gmail/v1/users/me/drafts/send", null), null);
  const answer = { id: "r-5512", message: { id: "18c", raw: b64url(RAW) } };
  assert.deepEqual(sendFromDraft(answer).recipients?.[0], "john@partner.com");
  assert.deepEqual(sendFromDraft(null), { recipients: null, text: null });
});
