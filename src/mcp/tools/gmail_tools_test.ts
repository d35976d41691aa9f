import assert from "node:assert/strict";
import { messageText, rawMessage } from "./gmail_tools.ts";
import { driveLiteral } from "./drive_tools.ts";
import { GMAIL_TOOLS } from "./gmail_tools.ts";
import { jsonSchemaOf, parseArguments } from "./tool.ts";
import { SecurixError } from "../../errors/securix_error.ts";

function decode(raw: string): string {
  const b64 = raw.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

Deno.test("gmail tools: a composed message has the given headers and a base64 UTF-8 body", () => {
  const mail = decode(rawMessage({ to: "Bob <bob@example.com>", subject: "Café", body: "Grüße" }));
  const [head, body] = mail.split("\r\n\r\n");
  assert.match(head, /^To: Bob <bob@example\.com>\r\n/);
  assert.match(head, /Subject: =\?UTF-8\?B\?Q2Fmw6k=\?=/);
  assert.equal(
    new TextDecoder().decode(Uint8Array.from(atob(body), (c) => c.charCodeAt(0))),
    "Grüße",
  );
});

Deno.test("gmail tools: header values with a line break are refused before any call", () => {
  const draft = GMAIL_TOOLS.find((t) => t.name === "gmail_create_draft")!;
  for (const field of ["to", "subject", "cc"]) {
    const args = { to: "a@b.c", subject: "s", body: "b", [field]: "x\r\nBcc: eve@evil.test" };
    assert.throws(
      () => parseArguments(draft.name, draft.input, args),
      (e: SecurixError) => e.code === "SX-INVALID-INPUT" && /one line/.test(e.llmError ?? ""),
    );
  }
  assert.throws(() => parseArguments(draft.name, draft.input, { to: "a@b.c", extra: 1 }));
});

Deno.test("gmail tools: the message text is the text/plain part, else the HTML without tags", () => {
  const b64 = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_");
  assert.equal(
    messageText({
      mimeType: "multipart/alternative",
      parts: [
        { mimeType: "text/html", body: { data: b64("<p>Hi <b>there</b></p>") } },
        { mimeType: "text/plain", body: { data: b64("Hi there") } },
      ],
    }),
    "Hi there",
  );
  assert.equal(
    messageText({ mimeType: "text/html", body: { data: b64("<p>Hi <b>there</b></p>") } }),
    "Hi there",
  );
  assert.equal(messageText(undefined), null);
});

Deno.test("tools: input schemas are JSON Schema objects a model can read", () => {
  const list = GMAIL_TOOLS.find((t) => t.name === "gmail_list_messages")!;
  const schema = jsonSchemaOf(list.input) as {
    type: string;
    properties: Record<string, { type: string; description?: string }>;
    required?: string[];
  };
  assert.equal(schema.type, "object");
  assert.equal(schema.properties.maxResults.type, "integer");
  assert.match(schema.properties.query.description ?? "", /Gmail search/);
  assert.equal(schema.required, undefined, "every input of the list has a default or is optional");
  assert.equal(driveLiteral("it's a \\ test"), "'it\\'s a \\\\ test'");
});
