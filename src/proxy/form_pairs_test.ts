import assert from "node:assert/strict";
import { formPairs } from "./form_pairs.ts";

Deno.test("formPairs: decodes as Rack does, splits on & and ;, keeps what does not decode", () => {
  const pairs = formPairs("a=1;_m%65thod=DELETE&&c+d=x+y&bad=%zz&flag");
  assert.deepEqual(pairs.map((p) => [p.name, p.value]), [
    ["a", "1"],
    ["_method", "DELETE"],
    ["c d", "x y"],
    ["bad", "%zz"],
    ["flag", ""],
  ]);
  assert.equal(pairs[1].raw, "_m%65thod=DELETE");
  assert.deepEqual(formPairs(""), []);
});

Deno.test("formPairs: a string separator splits on it alone", () => {
  assert.deepEqual(formPairs("a=1;key=s&b=2", "&").map((p) => p.name), ["a", "b"]);
});

Deno.test("formPairs: url decoding reads as URLSearchParams does, bad escapes and bytes included", () => {
  for (
    const text of [
      "text=s%65cret%zz&b=1",
      "a+b=c+d%2B&%zz%41=%",
      "t=%E2%82%AC%FF%E2%82&x=%E2%82%ACok",
      "t=%EF%BB%BFbom%zz",
      "lit=caf\u00e9%zz%C3%A9&&=v&flag",
    ]
  ) {
    assert.deepEqual(
      formPairs(text, "&", "url").map((p) => [p.name, p.value]),
      [...new URLSearchParams(text)],
      text,
    );
  }
  assert.equal(formPairs("t=s%65cret%zz")[0].value, "s%65cret%zz", "Rack keeps such a part");
});
