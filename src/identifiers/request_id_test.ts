import assert from "node:assert/strict";
import { clientRequestId, REQUEST_ID_PATTERN, requestIdSource } from "./request_id.ts";

Deno.test("request ids: one source never repeats and every id has the documented shape", () => {
  const next = requestIdSource();
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) seen.add(next());
  assert.equal(seen.size, 10_000);
  for (const id of seen) assert.match(id, REQUEST_ID_PATTERN);
});

Deno.test("request ids: two sources differ from their first id on", () => {
  const a = requestIdSource();
  const b = requestIdSource();
  assert.notEqual(a().slice(0, 18), b().slice(0, 18));
});

Deno.test("request ids: the random prefix is drawn once, on first use", () => {
  let draws = 0;
  const next = requestIdSource((bytes) => {
    draws++;
    return bytes.fill(0xff);
  });
  assert.equal(draws, 0);
  assert.equal(next(), "req_3vvvvvv3vvvvvv0000000");
  assert.equal(next(), "req_3vvvvvv3vvvvvv0000001");
  assert.equal(draws, 1);
});

Deno.test("request ids: the counter carries past its table", () => {
  const next = requestIdSource((bytes) => bytes.fill(0));
  const ids = Array.from({ length: 1026 }, next);
  assert.equal(ids[1023], `req_${"0".repeat(19)}vv`);
  assert.equal(ids[1024], `req_${"0".repeat(18)}100`);
  assert.equal(new Set(ids).size, 1026);
});

Deno.test("caller trace ids: kept when 1-128 visible ASCII characters, dropped otherwise", () => {
  for (const kept of ["abc", "4bf92f3577b34da6a3ce929d0e0e4736", "x".repeat(128), "a/b:c=d+e"]) {
    assert.equal(clientRequestId(kept), kept);
  }
  for (const dropped of [null, "", "x".repeat(129), "a b", "tab\tid", "caf\u00e9", "\u001b[31m"]) {
    assert.equal(clientRequestId(dropped), null, JSON.stringify(dropped));
  }
});
