import assert from "node:assert/strict";
import { parseEntity } from "./rfc822_message.ts";
import {
  decodeBase64Loose,
  decodeEncodedWords,
  decodeQuotedPrintable,
  messageText,
  multipartParts,
  stripHtml,
} from "./rfc822_text.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function text(raw: string): string {
  const entity = parseEntity(enc(raw));
  assert.ok(entity);
  return messageText(entity);
}

Deno.test("messageText: a plain message is its subject and body", () => {
  assert.equal(
    text("To: a@x.com\r\nSubject: Q3 numbers\r\n\r\nSee the attached.\r\n"),
    "Q3 numbers\nSee the attached.\r\n",
  );
  assert.equal(text("To: a@x.com\n\nno subject"), "no subject");
});

Deno.test("messageText: multipart/alternative with quoted-printable text and base64 HTML", () => {
  const html = btoa(
    "<html><body><p>Strictly <b>CONFIDENTIAL</b> &amp; internal</p>" +
      "<style>p{color:red}</style></body></html>",
  );
  const raw = [
    "To: a@x.com",
    "Subject: =?UTF-8?Q?Caf=C3=A9_menu?=",
    "MIME-Version: 1.0",
    'Content-Type: multipart/alternative; boundary="b1 with space"',
    "",
    "preamble is ignored",
    "--b1 with space",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Le caf=C3=A9 est pr=C3=AAt, tr=",
    "=C3=A8s bon.",
    "--b1 with space",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    html.slice(0, 40),
    html.slice(40),
    "--b1 with space--",
    "epilogue is ignored",
  ].join("\r\n");
  const out = text(raw);
  assert.match(out, /^Café menu\n/);
  assert.match(out, /Le café est prêt, très bon\./);
  assert.match(out, /Strictly\s+CONFIDENTIAL\s+& internal/);
  assert.doesNotMatch(out, /color:red|<b>|preamble|epilogue/);
});

Deno.test("messageText: nested multipart, text attachments, forwarded messages; binaries skipped", () => {
  const raw = [
    "To: a@x.com",
    "Content-Type: multipart/mixed; boundary=outer",
    "",
    "--outer",
    "Content-Type: multipart/alternative; boundary=inner",
    "",
    "--inner",
    "",
    "default part is text/plain",
    "--inner--",
    "--outer",
    "Content-Type: text/csv; name=ssn.csv",
    "Content-Disposition: attachment; filename=ssn.csv",
    "Content-Transfer-Encoding: base64",
    "",
    btoa("name,ssn\nann,123-45-6789\n"),
    "--outer",
    "Content-Type: image/png",
    "Content-Transfer-Encoding: base64",
    "",
    btoa("PNGsecret"),
    "--outer",
    "Content-Type: message/rfc822",
    "",
    "Subject: forwarded",
    "",
    "inner body",
    "--outer--",
  ].join("\n");
  const out = text(raw);
  assert.match(out, /default part is text\/plain/);
  assert.match(out, /123-45-6789/);
  assert.match(out, /forwarded\ninner body/);
  assert.doesNotMatch(out, /PNGsecret/);
});

Deno.test("messageText: a multipart without boundary or with a crafted deep nest yields no text, no throw", () => {
  assert.equal(text("Content-Type: multipart/mixed\n\n--x\n\nhi\n--x--"), "");
  let raw = "hello deep";
  for (let i = 0; i < 40; i++) {
    raw = `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n${raw}\n--b${i}--`;
  }
  assert.equal(text(raw), "");
});

Deno.test("multipartParts: CRLF before a delimiter belongs to it; close delimiter stops", () => {
  const parts = multipartParts(
    enc("--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\n--b\r\nlate"),
    "b",
  );
  assert.deepEqual(parts.map(dec), ["\r\none", "\r\ntwo"]);
});

Deno.test("decoders: base64url without padding, quoted-printable soft breaks, encoded-words", () => {
  const std = btoa("hi??>>>"); // "aGk/Pz4+Pg==": both url-unsafe characters and padding
  assert.equal(std, "aGk/Pz4+Pg==");
  assert.equal(dec(decodeBase64Loose("aGk_Pz4-Pg")!), "hi??>>>");
  assert.equal(dec(decodeBase64Loose("aGk/Pz4+\r\nPg==\r\n")!), "hi??>>>");
  assert.equal(decodeBase64Loose("not base64!"), null);
  assert.equal(decodeBase64Loose("a"), null);
  assert.equal(dec(decodeQuotedPrintable("a=3Db=\r\nc =XYd")), "a=bc =XYd");
  assert.equal(decodeEncodedWords("=?utf-8?B?w4k=?= =?utf-8?Q?t=C3=A9?= plain"), "Été plain");
  assert.equal(decodeEncodedWords("=?bogus-charset?Q?ok?="), "ok");
  assert.equal(stripHtml("<a href='x'>1 &lt; 2 &#x41;&#66;</a><!-- hidden -->"), " 1 < 2 AB ");
});
