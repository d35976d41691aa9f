import assert from "node:assert/strict";
import { graphSend } from "./graph_send.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const json = (v: unknown) => enc(JSON.stringify(v));
const to = (...addresses: string[]) =>
  addresses.map((address) => ({ emailAddress: { address, name: "N" } }));

Deno.test("graphSend: sendMail JSON, recipients of all three lists, HTML body stripped", () => {
  const out = graphSend(
    "/v1.0/me/sendMail",
    "application/json",
    json({
      message: {
        subject: "Meet for lunch?",
        body: {
          contentType: "HTML",
          content: "<p>The new <b>cafeteria</b> is open &amp; confidential.</p>",
        },
        toRecipients: to("Fannyd@Contoso.com"),
        ccRecipients: to("danas@contoso.com", "fannyd@contoso.com"),
        bccRecipients: to("x@external.org"),
        attachments: [
          {
            "@odata.type": "#microsoft.graph.fileAttachment",
            name: "a.txt",
            contentType: "text/plain",
            contentBytes: btoa("ssn 123-45-6789"),
          },
          {
            "@odata.type": "#microsoft.graph.fileAttachment",
            name: "a.png",
            contentType: "image/png",
            contentBytes: btoa("PNGDATA"),
          },
        ],
      },
      saveToSentItems: "false",
    }),
  );
  assert.deepEqual(out?.recipients, ["fannyd@contoso.com", "danas@contoso.com", "x@external.org"]);
  assert.match(out?.text ?? "", /^Meet for lunch\?\n/);
  assert.match(out?.text ?? "", /cafeteria\s+is open & confidential/);
  assert.match(out?.text ?? "", /123-45-6789/);
  assert.doesNotMatch(out?.text ?? "", /<p>|PNGDATA/);
});

Deno.test("graphSend: sendMail in MIME form (base64 of an RFC 822 message, text/plain)", () => {
  const mime = btoa(
    "To: Ann <ann@contoso.com>\r\nCc: bob@fabrikam.com\r\nSubject: hi\r\n\r\nsecret plan\r\n",
  );
  const out = graphSend("/v1.0/users/u-1/sendMail", "text/plain", enc(mime));
  assert.deepEqual(out, {
    recipients: ["ann@contoso.com", "bob@fabrikam.com"],
    text: "hi\nsecret plan\r\n",
  });
  assert.deepEqual(graphSend("/v1.0/me/sendMail", "text/plain", enc("not base64 @@")), {
    recipients: null,
    text: null,
  });
});

Deno.test("graphSend: malformed sendMail payloads are unreadable", () => {
  const unreadable = { recipients: null, text: null };
  assert.deepEqual(graphSend("/v1.0/me/sendMail", "application/json", null), unreadable);
  assert.deepEqual(graphSend("/v1.0/me/sendMail", "application/json", enc("[")), unreadable);
  assert.deepEqual(graphSend("/v1.0/me/sendMail", "application/json", json({})), unreadable);
  const badEntry = graphSend(
    "/v1.0/me/sendMail",
    "application/json",
    json({ message: { toRecipients: [{ emailAddress: {} }] } }),
  );
  assert.equal(badEntry?.recipients, null);
  const notList = graphSend(
    "/v1.0/me/sendMail",
    "application/json",
    json({ message: { toRecipients: "a@b.com" } }),
  );
  assert.equal(notList?.recipients, null);
  const two = graphSend(
    "/v1.0/me/sendMail",
    "application/json",
    json({ message: { toRecipients: to("a@b.com, c@d.com") } }),
  );
  assert.equal(two?.recipients, null);
});

Deno.test("graphSend: message actions — send by id, reply, replyAll, forward", () => {
  assert.deepEqual(graphSend("/v1.0/me/messages/AAMk=/send", null, null), {
    recipients: null,
    text: null,
  });
  const reply = graphSend(
    "/v1.0/me/messages/AAMk/reply",
    "application/json",
    json({ comment: "Sounds good" }),
  );
  assert.deepEqual(reply, { recipients: null, text: "Sounds good" });
  const addressed = graphSend(
    "/v1.0/me/mailFolders/inbox/messages/AAMk/reply",
    "application/json",
    json({ message: { toRecipients: to("Only@Contoso.com") }, comment: "fyi" }),
  );
  assert.deepEqual(addressed, { recipients: ["only@contoso.com"], text: "fyi" });
  const all = graphSend(
    "/v1.0/me/messages/AAMk/replyAll",
    "application/json",
    json({ message: { toRecipients: to("a@contoso.com") } }),
  );
  assert.equal(all?.recipients, null);
  const fwd = graphSend(
    "/v1.0/users/x/messages/AAMk/FORWARD",
    "application/json",
    json({ comment: "see below", toRecipients: to("dana@fabrikam.com") }),
  );
  assert.deepEqual(fwd, { recipients: ["dana@fabrikam.com"], text: "see below" });
  assert.equal(
    graphSend("/v1.0/me/messages/AAMk/forward", "application/json", json({ comment: "x" }))
      ?.recipients,
    null,
  );
});

Deno.test("graphSend: calls that send nothing are null", () => {
  assert.equal(
    graphSend("/v1.0/me/messages", "application/json", json({ subject: "draft" })),
    null,
  );
  assert.equal(graphSend("/v1.0/me/messages/AAMk/createReply", "application/json", json({})), null);
  assert.equal(graphSend("/v1.0/me/events", "application/json", json({})), null);
});
