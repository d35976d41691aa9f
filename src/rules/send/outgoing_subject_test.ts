import assert from "node:assert/strict";
import { outgoingSubject } from "./outgoing_subject.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => btoa(String.fromCharCode(...enc(s)));
const MESSAGE = "To: a@x.com\r\nSubject: Budget\r\n\r\nhello\r\n";
const SEND = "gmail.users.messages.send";

Deno.test("outgoingSubject: Gmail JSON, media and multipart sends; Graph JSON and MIME", () => {
  assert.equal(
    outgoingSubject(
      SEND,
      "/gmail/v1/users/me/messages/send",
      "application/json",
      enc(JSON.stringify({ raw: b64(MESSAGE) })),
    ),
    "Budget",
  );
  assert.equal(
    outgoingSubject(
      SEND,
      "/upload/gmail/v1/users/me/messages/send",
      "message/rfc822",
      enc(MESSAGE),
    ),
    "Budget",
  );
  const multipart = [
    "--b",
    "Content-Type: application/json",
    "",
    "{}",
    "--b",
    "Content-Type: message/rfc822",
    "",
    MESSAGE,
    "--b--",
  ].join("\r\n");
  assert.equal(
    outgoingSubject(
      SEND,
      "/upload/gmail/v1/users/me/messages/send",
      "multipart/related; boundary=b",
      enc(multipart),
    ),
    "Budget",
  );
  assert.equal(
    outgoingSubject(
      "microsoft.me.sendMail",
      "/v1.0/me/sendMail",
      "application/json",
      enc('{"message":{"subject":"Hi"}}'),
    ),
    "Hi",
  );
  assert.equal(
    outgoingSubject("microsoft.me.sendMail", "/v1.0/me/sendMail", "text/plain", enc(b64(MESSAGE))),
    "Budget",
  );
});

Deno.test("outgoingSubject: no subject, junk and other calls are null", () => {
  assert.equal(
    outgoingSubject(SEND, "/gmail/v1/users/me/messages/send", "application/json", enc("{")),
    null,
  );
  assert.equal(
    outgoingSubject(SEND, "/gmail/v1/users/me/messages/send", "application/json", null),
    null,
  );
  assert.equal(
    outgoingSubject(
      SEND,
      "/gmail/v1/users/me/messages/send",
      "application/json",
      enc(JSON.stringify({ raw: b64("To: a@x.com\r\n\r\nx") })),
    ),
    null,
  );
  assert.equal(outgoingSubject("github.repos.delete", "/repos/a/b", null, enc("x")), null);
});
