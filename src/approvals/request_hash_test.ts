import assert from "node:assert/strict";
import { requestHash } from "./request_hash.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("requestHash: stable, and any change to method, path, query or body changes it", () => {
  const base = requestHash("POST", "/gmail/v1/users/me/messages/send", "", bytes('{"raw":"x"}'));
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(
    requestHash("post", "/gmail/v1/users/me/messages/send", "", bytes('{"raw":"x"}')),
    base,
  );
  const variants = [
    requestHash("PUT", "/gmail/v1/users/me/messages/send", "", bytes('{"raw":"x"}')),
    requestHash("POST", "/gmail/v1/users/me/messages/sent", "", bytes('{"raw":"x"}')),
    requestHash("POST", "/gmail/v1/users/me/messages/send", "?a=1", bytes('{"raw":"x"}')),
    requestHash("POST", "/gmail/v1/users/me/messages/send", "", bytes('{"raw":"y"}')),
    requestHash("POST", "/gmail/v1/users/me/messages/send", "", null),
    requestHash("POST", "/gmail/v1/users/me/messages/send", "", bytes("")),
  ];
  assert.equal(new Set([base, ...variants]).size, variants.length + 1);
});

Deno.test("requestHash: moving bytes between path, query and body is a different call", () => {
  assert.notEqual(
    requestHash("POST", "/a", "?b", bytes("c")),
    requestHash("POST", "/a?", "b", bytes("c")),
  );
  assert.notEqual(
    requestHash("POST", "/a", "", bytes("\n1:b")),
    requestHash("POST", "/a", "1:b", null),
  );
});

Deno.test("requestHash: a multipart body retried with another boundary is the same call; other parts are not", () => {
  const multipart = (b: string, text: string) =>
    bytes(
      `--${b}\r\ncontent-type: application/json\r\n\r\n{}\r\n--${b}\r\ncontent-type: message/rfc822\r\n\r\n${text}\r\n--${b}--`,
    );
  const hash = (b: string, text: string, type = "multipart/related") =>
    requestHash(
      "POST",
      "/upload/x",
      "?uploadType=multipart",
      multipart(b, text),
      `${type}; boundary=${b}`,
    );
  const first = hash("1111-aaaa", "To: bob@acme.com");
  assert.equal(hash("2222-bbbb", "To: bob@acme.com"), first);
  assert.notEqual(hash("2222-bbbb", "To: eve@evil.example"), first);
  assert.notEqual(hash("2222-bbbb", "To: bob@acme.com", "multipart/mixed"), first);
  // Content that holds another boundary's delimiter splits into other pieces under it.
  const sneaky =
    "To: bob@acme.com\r\n--zz\r\ncontent-type: message/rfc822\r\n\r\nTo: eve@evil.example";
  assert.notEqual(hash("zz", sneaky), hash("1111-aaaa", sneaky));
  // Not multipart, or a boundary that is no boundary: the bytes as they are.
  const raw = bytes("--a\r\nx\r\n--a--");
  assert.notEqual(
    requestHash("POST", "/u", "", raw, "multipart/related; boundary=a"),
    requestHash("POST", "/u", "", raw, "application/octet-stream"),
  );
  assert.equal(
    requestHash("POST", "/u", "", raw, 'multipart/related; boundary="bad\nboundary"'),
    requestHash("POST", "/u", "", raw, "application/octet-stream"),
  );
});
