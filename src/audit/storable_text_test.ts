import assert from "node:assert/strict";
import { storableText } from "./storable_text.ts";

Deno.test("storableText: lone surrogates and NUL become U+FFFD, everything else is kept as is", () => {
  assert.equal(storableText("x\ud800"), "x\ufffd");
  assert.equal(storableText("\udc00x"), "\ufffdx");
  assert.equal(storableText("a\u0000b"), "a\ufffdb");
  for (const kept of ["😀", "\u2028", "\x1b[31m", "\r\n", "é", "", "\ud83d\ude00"]) {
    assert.equal(storableText(kept), kept);
  }
});
