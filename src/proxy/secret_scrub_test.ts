import assert from "node:assert/strict";
import { REDACTED_MARKER as M, secretForms, SecretScrubber } from "./secret_scrub.ts";

const SECRET = "k3y/with+odd chars&é";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function through(scrubber: SecretScrubber, chunks: Uint8Array[]): Promise<string> {
  const out = ReadableStream.from(chunks).pipeThrough(scrubber.stream());
  return decoder.decode(await new Response(out).arrayBuffer());
}

Deno.test("secretForms: raw, as the query sent it, percent-encoded (either hex case), JSON-escaped", () => {
  const forms = secretForms(SECRET);
  for (
    const form of [
      SECRET,
      "k3y%2Fwith%2Bodd+chars%26%C3%A9",
      "k3y%2fwith%2bodd+chars%26%c3%a9",
      encodeURIComponent(SECRET),
      "k3y%2fwith%2bodd%20chars%26%c3%a9",
      "k3y\\/with+odd chars&é",
    ]
  ) assert.ok(forms.includes(form), form);
  assert.deepEqual(forms, [...forms].sort((a, b) => b.length - a.length));
  assert.deepEqual(secretForms(""), []);
});

Deno.test("SecretScrubber: every form in a body is replaced, split across two chunks at every offset", async () => {
  const scrubber = new SecretScrubber(SECRET);
  for (const form of secretForms(SECRET)) {
    const body = encoder.encode(
      `{"next":"https://api.example/v1?page=2&key=${form}","e":"${form}"}`,
    );
    const expected = `{"next":"https://api.example/v1?page=2&key=${M}","e":"${M}"}`;
    for (let cut = 0; cut <= body.length; cut++) {
      const got = await through(scrubber, [body.slice(0, cut), body.slice(cut)]);
      assert.equal(got, expected, `form ${form} cut at ${cut}`);
    }
    assert.equal(await through(scrubber, [...body].map((b) => Uint8Array.of(b))), expected);
    assert.equal(decoder.decode(scrubber.bytes(body)), expected);
  }
});

Deno.test("SecretScrubber: near-misses and repeats; an answer without the key is passed as it is", async () => {
  const scrubber = new SecretScrubber("abcab");
  const body = encoder.encode("aabcababcabcab abca");
  assert.equal(decoder.decode(scrubber.bytes(body)), `a${M}${M}cab abca`);
  assert.equal(await through(scrubber, [body.slice(0, 7), body.slice(7)]), `a${M}${M}cab abca`);
  const clean = encoder.encode('{"items":[1,2,3]}');
  assert.equal(scrubber.bytes(clean), clean, "the same bytes, not a copy");
  assert.equal(await through(scrubber, [clean.slice(0, 3), clean.slice(3)]), '{"items":[1,2,3]}');
  assert.equal(await through(scrubber, []), "");
});

Deno.test("SecretScrubber: header values and the status text", () => {
  const scrubber = new SecretScrubber(SECRET);
  const pairs: [string, string][] = [
    ["x-request-url", `https://api.example/v1?key=${encodeURIComponent(SECRET)}`],
    ["x-debug", `key=${SECRET}`],
    ["content-type", "application/json"],
  ];
  scrubber.pairs(pairs);
  assert.deepEqual(pairs, [
    ["x-request-url", `https://api.example/v1?key=${M}`],
    ["x-debug", `key=${M}`],
    ["content-type", "application/json"],
  ]);
  assert.equal(scrubber.text(`Bad key ${SECRET}`), `Bad key ${M}`);
});
