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
