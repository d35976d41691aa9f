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
