import assert from "node:assert/strict";
import { summarizeCall, summaryForAudit } from "./approval_summary.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const b64url = (s: string) =>
  btoa(String.fromCharCode(...enc(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const MESSAGE = [
  "From: a@acme.com",
  "To: Bob <bob@acme.com>, carol@example.org",
  "Subject: =?UTF-8?B?UsOpdW5pb24=?= budget",
  "",
  "The secret numbers are 1234.",
  "",
].join("\r\n");

Deno.test("summary: a Gmail send shows recipients and subject, never the body", () => {
  const s = summarizeCall(
    { id: "gmail.users.messages.send", class: "send" },
    "POST",
    "/gmail/v1/users/me/messages/send",
    "application/json",
    enc(JSON.stringify({ raw: b64url(MESSAGE) })),
  );
  assert.deepEqual(s.recipients, ["bob@acme.com", "carol@example.org"]);
  assert.equal(s.subject, "Réunion budget");
  assert.equal(s.text, 'Send an email to bob@acme.com, carol@example.org: "Réunion budget"');
  assert.ok(!JSON.stringify(s).includes("1234"));
});

Deno.test("summary: Graph sendMail, a draft send, a delete, anything else", () => {
  const graph = summarizeCall(
    { id: "microsoft.me.sendMail", class: "send" },
    "POST",
    "/v1.0/me/sendMail",
    "application/json",
    enc(JSON.stringify({
      message: {
        subject: "Q3\nnumbers",
        body: { content: "private" },
        toRecipients: [{ emailAddress: { address: "Dan@Example.com" } }],
      },
    })),
  );
  assert.deepEqual(graph.recipients, ["dan@example.com"]);
  assert.equal(graph.subject, "Q3 numbers", "no line breaks in a summary");
  const draft = summarizeCall(
    { id: "gmail.users.drafts.send", class: "send" },
    "POST",
    "/gmail/v1/users/me/drafts/send",
    "application/json",
    enc('{"id":"r-42"}'),
  );
  assert.equal(draft.text, "Send the saved Gmail draft r-42");
  const del = summarizeCall(
    { id: "github.repos.delete", class: "delete" },
    "DELETE",
    "/repos/acme/payroll",
    null,
    null,
  );
  assert.equal(del.resource, "payroll");
  assert.equal(del.text, "Delete payroll (github.repos.delete)");
  const other = summarizeCall(
    { id: "drive.files.update", class: "write" },
    "PATCH",
    "/drive/v3/files/abc",
    "application/json",
    enc('{"name":"secret"}'),
  );
  assert.equal(other.text, "drive.files.update: PATCH /drive/v3/files/abc");
  const unreadable = summarizeCall(
    { id: "gmail.users.messages.send", class: "send" },
    "POST",
    "/gmail/v1/users/me/messages/send",
    "application/json",
    enc("not json"),
  );
  assert.match(unreadable.text, /recipients that could not be read/);
});

Deno.test("summary: the audit keeps recipients and the deleted item, not the subject or sentence", () => {
  const kept = summaryForAudit({
    text: 'Send an email to bob@acme.com: "Layoffs"',
    operation: "gmail.users.messages.send",
    method: "POST",
    path: "/gmail/v1/users/me/messages/send",
    recipients: ["bob@acme.com"],
    subject: "Layoffs",
  });
  assert.deepEqual(kept, { recipients: ["bob@acme.com"] });
  assert.ok(!JSON.stringify(kept).includes("Layoffs"));
});
