import assert from "node:assert/strict";
import { opaqueSend, outgoingSend } from "./outgoing_send.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("outgoingSend: dispatches Gmail and Graph sends by operation id", () => {
  const raw = btoa("To: a@x.com\r\n\r\nhello").replace(/=+$/, "");
  assert.deepEqual(
    outgoingSend(
      "gmail.users.messages.send",
      "/gmail/v1/users/me/messages/send",
      "application/json",
      enc(JSON.stringify({ raw })),
    ),
    { recipients: ["a@x.com"], text: "hello" },
  );
  const graph = JSON.stringify({
    message: { toRecipients: [{ emailAddress: { address: "b@y.com" } }] },
  });
  assert.deepEqual(
    outgoingSend("microsoft.me.sendMail", "/v1.0/me/sendMail", "application/json", enc(graph)),
    {
      recipients: ["b@y.com"],
      text: "",
    },
  );
});

Deno.test("outgoingSend: other providers and non-send operations are null", () => {
  assert.equal(
    outgoingSend("slack.chat.postMessage", "/api/chat.postMessage", "application/json", enc("{}")),
    null,
  );
  assert.equal(
    outgoingSend("gmail.users.messages.list", "/gmail/v1/users/me/messages", null, null),
    null,
  );
  assert.equal(outgoingSend("microsoft.me.messages.list", "/v1.0/me/messages", null, null), null);
});

Deno.test("outgoingSend: never throws, whatever the bytes", () => {
  const samples = [
    new Uint8Array([0xff, 0xfe, 0x00, 0x0a, 0x0a]),
    enc('{"raw":"' + "A".repeat(1001) + '"}'),
    enc("--b\r\n\r\n--b--"),
    enc("\u0000\u0000"),
  ];
  for (const body of samples) {
    for (
      const [op, path, type] of [
        [
          "gmail.users.messages.send",
          "/upload/gmail/v1/users/me/messages/send",
          "multipart/related; boundary=b",
        ],
        ["gmail.users.messages.send", "/upload/gmail/v1/users/me/messages/send", "message/rfc822"],
        ["gmail.users.messages.send", "/gmail/v1/users/me/messages/send", null],
        ["microsoft.me.sendMail", "/v1.0/me/sendMail", "text/plain"],
        ["microsoft.me.sendMail", "/v1.0/me/sendMail", "application/json"],
      ] as const
    ) {
      const out = outgoingSend(op, path, type, body);
      assert.ok(out !== null, `${op} ${type} is a send`);
    }
  }
});

Deno.test("opaqueSend: the body as sent and as decoded (JSON strings, form values), however large", () => {
  const json = opaqueSend(
    enc(`{"a":[{"text":"s\\u0065cret"}],"pad":[${"0,".repeat(300_000)}0]}`),
  );
  assert.ok(json.text!.includes("secret"));
  assert.equal(json.recipients, null);
  const form = opaqueSend(enc("text=s%65cret+plan"));
  assert.ok(form.text!.includes("secret plan"));
  assert.deepEqual(opaqueSend(null), { recipients: null, text: "" });
  assert.ok(opaqueSend(enc("a secret")).text!.includes("a secret"));
});

Deno.test("opaqueSend: a form's values as the provider decodes them, a bad escape or byte beside them", () => {
  const text = (body: string) => opaqueSend(enc(body)).text!;
  // One bad escape leaves the rest of its value decoded, as URLSearchParams and PHP read it.
  assert.ok(text("text=s%65cret%zz").includes("secret%zz"));
  assert.ok(text("text=s%65cret%FF").includes("secret\uFFFD"));
  assert.ok(text("text=top+s%65cret%2B").includes("top secret+"));
  // `;` does not split a value: the provider sees "secret;plan" whole.
  assert.ok(text("text=s%65cret;plan&b=2").includes("secret;plan"));
});

Deno.test("opaqueSend: a form is decoded whatever the Content-Type says (Rack and PHP end a media type at ',')", () => {
  // Sent as `application/x-www-form-urlencoded, text/plain` (or any type): the provider may read a form.
  assert.ok(opaqueSend(enc("text=s%65cret")).text!.includes("secret"));
  assert.ok(opaqueSend(enc("a=1&text=top+s%65cret")).text!.includes("top secret"));
});
