import assert from "node:assert/strict";
import { requestHead } from "./request_head.ts";

const text = (b: Uint8Array) => String.fromCharCode(...b);

Deno.test("request head: method, target, Host, the given pairs, keep-alive", () => {
  const headers = new Headers([["Authorization", "Bearer t"], ["X-Name", "Ren\xe9e"], [
    "Host",
    "evil",
  ]]);
  const head = requestHead("GET", new URL("https://api.example:8443/v1/a%20b?q=1"), headers);
  assert.equal(
    text(head),
    "GET /v1/a%20b?q=1 HTTP/1.1\r\nhost: api.example:8443\r\nauthorization: Bearer t\r\n" +
      "x-name: Ren\xe9e\r\nconnection: keep-alive\r\n\r\n",
  );
  const chunked = requestHead("POST", new URL("http://h/"), new Headers(), [
    "transfer-encoding",
    "chunked",
  ]);
  assert.match(text(chunked), /^POST \/ HTTP\/1\.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n/);
});

Deno.test("request head: control characters and bad methods are refused, never written", () => {
  const url = new URL("http://h/");
  assert.throws(() => requestHead("GET /x HTTP/1.1\r\n", url, new Headers()), /invalid method/);
  assert.throws(
    () => requestHead("GET", url, new Headers([["x-a", "a\x01b"]])),
    /control character/,
  );
  assert.throws(
    () => requestHead("GET", url, new Headers(), ["x-a", "\u2028"]),
    /control character/,
  );
  assert.throws(
    () => requestHead("GET", url, new Headers(), ["x-a", "b\r\nx: y"]),
    /control character/,
  );
});
