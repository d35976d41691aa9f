import assert from "node:assert/strict";
import { parseEntity } from "./rfc822_message.ts";
import { messageRecipients, parseAddressList } from "./rfc822_recipients.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("parseAddressList: display names with quoted commas, comments, angle and bare addresses", () => {
  assert.deepEqual(
    parseAddressList(
      '"Doe, John" <J.Doe@X.com>, plain@y.org (Plain, Person), Ann <ann@Z.example>',
    ),
    ["j.doe@x.com", "plain@y.org", "ann@z.example"],
  );
  assert.deepEqual(parseAddressList('"a <evil@bad.com>" <good@acme.com>'), ["good@acme.com"]);
  assert.deepEqual(parseAddressList('"quoted local"@acme.com'), ['"quoted local"@acme.com']);
  assert.deepEqual(parseAddressList("<@relay.example:final@acme.com>"), ["final@acme.com"]);
  assert.deepEqual(parseAddressList("=?UTF-8?B?w4lsb8Ol?= <elo@acme.com>"), ["elo@acme.com"]);
  assert.deepEqual(parseAddressList("user@[192.0.2.1]"), ["user@[192.0.2.1]"]);
});

Deno.test("parseAddressList: groups, empty groups and empty list entries", () => {
  assert.deepEqual(parseAddressList("undisclosed-recipients:;"), []);
  assert.deepEqual(
    parseAddressList('team: a@x.com, "B, b" <b@y.com>;, c@z.com'),
    ["a@x.com", "b@y.com", "c@z.com"],
  );
  assert.deepEqual(parseAddressList("a@x.com,,  , b@y.com"), ["a@x.com", "b@y.com"]);
  assert.deepEqual(parseAddressList(""), []);
});

Deno.test("parseAddressList: malformed lists are null, never a guess", () => {
  for (
    const bad of [
      "John john@x.com", // two words, no angle: which receives?
      "john", // no domain
      "@x.com",
      "a@",
      '"unterminated <a@x.com>',
      "<a@x.com",
      "a@x.com>",
      "(open comment a@x.com",
      "team: a@x.com", // group never closed
      "a@x.com;",
      "<a@x.com> trailing",
      "<a@x.com><b@y.com>",
      "=?utf-8?q?x=40evil.com?=",
      "a b@x.com",
      "a@exa mple.com",
    ]
  ) {
    assert.equal(parseAddressList(bad), null, bad);
  }
});

Deno.test("messageRecipients: To, Cc, Bcc, folded and repeated, any header case, deduplicated", () => {
  const raw = [
    "From: Me <me@acme.com>",
    'TO: "Doe, John" <john@Partner.com>,',
    "\t ann@acme.com",
    "cc: team: Bob <bob@acme.com>,",
    "  carol@other.org;",
    "To: ann@acme.com",
    "BCC: secret@Leak.io",
    "Reply-To: replies@elsewhere.com",
    "Subject: hi",
    "",
    "body To: not@header.com",
  ].join("\r\n");
  const entity = parseEntity(enc(raw));
  assert.ok(entity);
  assert.deepEqual(messageRecipients(entity), [
    "john@partner.com",
    "ann@acme.com",
    "bob@acme.com",
    "carol@other.org",
    "secret@leak.io",
  ]);
});

Deno.test("messageRecipients: one unreadable recipient header makes the whole set unknown", () => {
  const entity = parseEntity(enc("To: ok@acme.com\nBcc: not an address\n\nhi"));
  assert.ok(entity);
  assert.equal(messageRecipients(entity), null);
});

Deno.test("parseEntity: obsolete blank before colon, and header lines that are no header", () => {
  const entity = parseEntity(enc("To : a@x.com\n\nbody"));
  assert.ok(entity);
  assert.deepEqual(messageRecipients(entity), ["a@x.com"]);
  assert.equal(parseEntity(enc("To: a@x.com\nthis line has no colon\n\nbody")), null);
  assert.equal(parseEntity(enc(" folded first\nTo: a@x.com\n\n")), null);
  assert.equal(parseEntity(enc("Bad Name: x\n\n")), null);
});
