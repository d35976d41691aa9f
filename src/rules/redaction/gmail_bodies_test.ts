import assert from "node:assert/strict";
import { buildRedactor } from "./detectors.ts";
import { gmailFieldRole, redactEncodedField } from "./gmail_bodies.ts";
import { redactJsonBody } from "./redact_json.ts";

const redactor = buildRedactor({
  patterns: ["ssn", "credit_card", "iban", "email", "phone"],
  regexes: [],
});
const enc = new TextEncoder();
const dec = new TextDecoder();

function b64url(data: string | Uint8Array, padded = true): string {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: !padded });
}

function unb64(s: string): string {
  return dec.decode(Uint8Array.fromBase64(s, { alphabet: "base64url" }));
}

const PLAIN =
  "Hi Omar,\r\n\r\nFor the payroll form: SSN 219-09-9999, card 4111 1111 1111 1111.\r\n" +
  "Thanks for the call on 2024-09-12 at 10:30. Total $1,284.50.\r\n\r\nJane\r\n";
const HTML = '<div dir="ltr">For the payroll form: SSN 219-09-9999, card ' +
  "4111 1111 1111 1111.<br>Thanks!</div>";
// The first 8 bytes of a PNG: not UTF-8, must stay byte for byte.
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x31]);

/** users.messages.get (format=full), as Gmail answers it. */
function fullMessage(padded: boolean) {
  return {
    id: "191e3b4c5d6a7f80",
    threadId: "191e3b4c5d6a7f80",
    labelIds: ["INBOX", "IMPORTANT", "CATEGORY_PERSONAL"],
    snippet: "For the payroll form: SSN 219-09-9999, card 4111 1111 1111 1111. Thanks for the call",
    payload: {
      partId: "",
      mimeType: "multipart/mixed",
      filename: "",
      headers: [
        { name: "Delivered-To", value: "omar.haddad@example.com" },
        { name: "Date", value: "Thu, 12 Sep 2024 10:30:00 +0200" },
        { name: "From", value: "Jane Doe <jane.doe@example.com>" },
        { name: "To", value: "Omar Haddad <omar.haddad@example.com>" },
        { name: "Subject", value: "Payroll form" },
        { name: "Message-ID", value: "<CAF+x7Q9v=abc123@mail.gmail.com>" },
        { name: "Content-Type", value: 'multipart/mixed; boundary="000000000000a1b2c3"' },
      ],
      body: { size: 0 },
      parts: [
        {
          partId: "0",
          mimeType: "multipart/alternative",
          filename: "",
          headers: [{ name: "Content-Type", value: "multipart/alternative" }],
          body: { size: 0 },
          parts: [
            {
              partId: "0.0",
              mimeType: "text/plain",
              filename: "",
              headers: [{ name: "Content-Type", value: 'text/plain; charset="UTF-8"' }],
              body: { size: PLAIN.length, data: b64url(PLAIN, padded) },
            },
            {
              partId: "0.1",
              mimeType: "text/html",
              filename: "",
              headers: [{ name: "Content-Type", value: 'text/html; charset="UTF-8"' }],
              body: { size: HTML.length, data: b64url(HTML, padded) },
            },
          ],
        },
        {
          partId: "1",
          mimeType: "image/png",
          filename: "scan.png",
          headers: [{ name: "Content-Type", value: 'image/png; name="scan.png"' }],
          body: { attachmentId: "ANGjdJ8x", size: PNG.length, data: b64url(PNG, padded) },
        },
      ],
    },
    sizeEstimate: 48213,
    historyId: "2345678",
    internalDate: "1726129800000",
  };
}

function plainPartData(message: ReturnType<typeof fullMessage>): string {
  return message.payload.parts[0].parts![0].body.data;
}

function redactGmail(value: unknown, gmail = true) {
  const result = redactJsonBody(enc.encode(JSON.stringify(value)), redactor, { gmail });
  assert.equal(result.ok, true);
  if (!result.ok) throw new Error("unreachable");
  // deno-lint-ignore no-explicit-any
  return { ...result, json: JSON.parse(dec.decode(result.body)) as any };
}

Deno.test("a full message: nested part bodies, snippet and headers are redacted", () => {
  const { json, counts } = redactGmail(fullMessage(true));
  const [alt, png] = json.payload.parts;
  assert.equal(
    unb64(alt.parts[0].body.data),
    PLAIN.replace("219-09-9999", "[REDACTED:ssn]").replace(
      "4111 1111 1111 1111",
      "[REDACTED:credit_card]",
    ),
  );
  assert.match(
    unb64(alt.parts[1].body.data),
    /SSN \[REDACTED:ssn\], card \[REDACTED:credit_card\]/,
  );
  assert.equal(
    json.snippet,
    "For the payroll form: SSN [REDACTED:ssn], card [REDACTED:credit_card]. Thanks for the call",
  );
  const header = (name: string) =>
    json.payload.headers.find((h: { name: string }) => h.name === name).value;
  assert.equal(header("From"), "Jane Doe <[REDACTED:email]>");
  assert.equal(header("Message-ID"), "<CAF+x7Q9v=abc123@mail.gmail.com>"); // needed to reply
  assert.equal(png.body.data, b64url(PNG, true)); // not UTF-8: untouched
  assert.equal(json.id, "191e3b4c5d6a7f80");
  assert.equal(json.internalDate, "1726129800000");
  // snippet + two bodies: 3 SSNs, 3 cards; Delivered-To, From, To: 3 addresses.
  assert.deepEqual(counts, { ssn: 3, credit_card: 3, email: 3 });
});

Deno.test("the padding style Gmail used is kept", () => {
  for (const padded of [true, false]) {
    const { json } = redactGmail(fullMessage(padded));
    const data: string = json.payload.parts[0].parts[0].body.data;
    const original = plainPartData(fullMessage(padded));
    assert.notEqual(data, original);
    assert.equal(/[+/]/.test(data), false); // still the url alphabet
    if (padded) assert.match(data, /=$/);
    else assert.doesNotMatch(data, /=/);
    assert.match(unb64(data), /\[REDACTED:ssn\]/);
  }
});

Deno.test("without the gmail option, encoded bodies are left encoded", () => {
  const message = fullMessage(true);
  const { json } = redactGmail(message, false);
  assert.equal(json.payload.parts[0].parts[0].body.data, plainPartData(message));
  assert.match(json.snippet, /\[REDACTED:ssn\]/);
});

Deno.test("threads.get: every message's bodies are redacted", () => {
  const { json, counts } = redactGmail({
    id: "191e3b4c5d6a7f80",
    historyId: "2345690",
    messages: [fullMessage(true), fullMessage(false)],
  });
  for (const m of json.messages) {
    assert.match(unb64(m.payload.parts[0].parts[0].body.data), /\[REDACTED:credit_card\]/);
  }
  assert.deepEqual(counts, { ssn: 6, credit_card: 6, email: 6 });
});

Deno.test("drafts.get: the draft message's body is redacted", () => {
  const body = "Call me on (415) 555-0132 about IBAN DE89 3704 0044 0532 0130 00.";
  const { json, counts } = redactGmail({
    id: "r-5839201743",
    message: {
      id: "191e3b4c5d6a7f81",
      threadId: "191e3b4c5d6a7f81",
      labelIds: ["DRAFT"],
      snippet: "",
      payload: {
        partId: "",
        mimeType: "text/plain",
        filename: "",
        headers: [{ name: "Subject", value: "Bank details" }],
        body: { size: body.length, data: b64url(body) },
      },
      sizeEstimate: 512,
      historyId: "2345691",
      internalDate: "1726129900000",
    },
  });
  assert.equal(
    unb64(json.message.payload.body.data),
    "Call me on [REDACTED:phone] about IBAN [REDACTED:iban].",
  );
  assert.deepEqual(counts, { phone: 1, iban: 1 });
});

Deno.test("format=raw: the RFC 822 message is redacted in place, structure kept", () => {
  const raw = [
    "From: Jane Doe <jane.doe@example.com>",
    "To: omar@example.com",
    "Subject: Payroll",
    "Content-Type: text/plain; charset=UTF-8",
    "",
    "SSN 219-09-9999 and card 5555-5555-5555-4444.",
    "",
  ].join("\r\n");
  const { json, counts } = redactGmail({
    id: "191e3b4c5d6a7f82",
    threadId: "191e3b4c5d6a7f82",
    labelIds: ["INBOX"],
    snippet: "SSN 219-09-9999 and card",
    sizeEstimate: 320,
    raw: b64url(raw, false),
    historyId: "2345692",
    internalDate: "1726130000000",
  });
  assert.equal(
    unb64(json.raw),
    [
      "From: Jane Doe <[REDACTED:email]>",
      "To: [REDACTED:email]",
      "Subject: Payroll",
      "Content-Type: text/plain; charset=UTF-8",
      "",
      "SSN [REDACTED:ssn] and card [REDACTED:credit_card].",
      "",
    ].join("\r\n"),
  );
  assert.doesNotMatch(json.raw, /=/);
  assert.deepEqual(counts, { email: 2, ssn: 2, credit_card: 1 });
});

Deno.test("a raw message in a legacy charset is redacted without touching other bytes", () => {
  // "Grüße" in ISO-8859-1 (0xFC, 0xDF): not UTF-8.
  const bytes = new Uint8Array([
    ...enc.encode("Subject: x\r\n\r\nGr"),
    0xfc,
    0xdf,
    ...enc.encode("e, SSN 219-09-9999\r\n"),
  ]);
  const counts: Record<string, number> = {};
  const out = redactEncodedField("raw", b64url(bytes), redactor, counts);
  const expected = new Uint8Array([
    ...enc.encode("Subject: x\r\n\r\nGr"),
    0xfc,
    0xdf,
    ...enc.encode("e, SSN [REDACTED:ssn]\r\n"),
  ]);
  assert.deepEqual(Uint8Array.fromBase64(out, { alphabet: "base64url" }), expected);
  assert.deepEqual(counts, { ssn: 1 });
});

Deno.test("attachments.get: a text attachment is redacted, a binary one is not", () => {
  const text = "name,ssn\nJane,219-09-9999\n";
  const { json, counts } = redactGmail({ size: text.length, data: b64url(text) });
  assert.equal(unb64(json.data), "name,ssn\nJane,[REDACTED:ssn]\n");
  assert.deepEqual(counts, { ssn: 1 });
  const binary = { size: PNG.length, data: b64url(PNG) };
  const result = redactJsonBody(enc.encode(JSON.stringify(binary)), redactor, { gmail: true });
  assert.deepEqual(result.ok && [result.changed, result.counts], [false, {}]);
});

Deno.test("redactEncodedField returns the same string when nothing matched", () => {
  const counts: Record<string, number> = {};
  const clean = b64url("Lunch at 12:30 on 2024-09-12?");
  assert.equal(Object.is(redactEncodedField("data", clean, redactor, counts), clean), true);
  const utf16 = b64url(new Uint8Array([0x31, 0x00, 0x32, 0x00])); // valid UTF-8 with NULs
  assert.equal(redactEncodedField("data", utf16, redactor, counts), utf16);
  assert.equal(redactEncodedField("data", "", redactor, counts), "");
  assert.deepEqual(counts, {});
});

Deno.test("standard base64 and non-base64 values are handled", () => {
  const counts: Record<string, number> = {};
  const std = enc.encode("SSN 219-09-9999 ?>?>").toBase64(); // contains "+" or "/"
  assert.match(std, /[+/]/);
  const out = redactEncodedField("data", std, redactor, counts);
  assert.equal(dec.decode(Uint8Array.fromBase64(out)), "SSN [REDACTED:ssn] ?>?>");
  // Not base64 at all: redacted as the plain string it is.
  assert.equal(
    redactEncodedField("data", "call 555-123-4567!", redactor, counts),
    "call [REDACTED:phone]!",
  );
  assert.deepEqual(counts, { ssn: 1, phone: 1 });
});

Deno.test("gmailFieldRole recognises bodies, raw and identifier headers only", () => {
  assert.equal(gmailFieldRole("body", "data", { size: 3 }), "encoded");
  assert.equal(gmailFieldRole("", "data", { size: 3 }), "encoded");
  assert.equal(gmailFieldRole("", "data", {}), "plain");
  assert.equal(gmailFieldRole("payload", "data", {}), "plain");
  assert.equal(gmailFieldRole("message", "raw", {}), "encoded");
  assert.equal(gmailFieldRole("headers", "value", { name: "In-Reply-To" }), "identifier");
  assert.equal(gmailFieldRole("headers", "value", { name: "From" }), "plain");
  assert.equal(gmailFieldRole("payload", "snippet", {}), "plain");
});
