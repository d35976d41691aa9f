import assert from "node:assert/strict";
import { buildRedactor } from "./detectors.ts";
import { inspectable, redactJsonBody } from "./redact_json.ts";

const redactor = buildRedactor({
  patterns: ["ssn", "credit_card", "iban", "email", "phone"],
  regexes: [],
});
const enc = new TextEncoder();
const dec = new TextDecoder();

function redactText(text: string, gmail = false) {
  const result = redactJsonBody(enc.encode(text), redactor, { gmail });
  assert.equal(result.ok, true);
  if (!result.ok) throw new Error("unreachable");
  return { ...result, text: dec.decode(result.body), json: JSON.parse(dec.decode(result.body)) };
}

Deno.test("string values in nested objects and arrays are redacted, keys are not", () => {
  const { json, counts, changed } = redactText(JSON.stringify({
    "jane@example.com": { note: "call +14155550132", list: ["SSN 123-45-6789", 42, null, true] },
    deep: [[[{ card: "4111 1111 1111 1111" }]]],
    plain: "nothing here 2024-01-15",
  }));
  assert.equal(changed, true);
  assert.deepEqual(json, {
    "jane@example.com": {
      note: "call [REDACTED:phone]",
      list: ["SSN [REDACTED:ssn]", 42, null, true],
    },
    deep: [[[{ card: "[REDACTED:credit_card]" }]]],
    plain: "nothing here 2024-01-15",
  });
  assert.deepEqual(counts, { phone: 1, ssn: 1, credit_card: 1 });
});

Deno.test("a body without matches comes back as the same bytes, unchanged", () => {
  const body = enc.encode(
    '{ "id" : "18c2f3a4b5d6e7f8",\n  "n": 1.50, "at": "2024-01-15T10:30:00Z" }',
  );
  const result = redactJsonBody(body, redactor, { gmail: true });
  assert.deepEqual(result, { ok: true, body, counts: {}, changed: false });
  assert.equal(result.ok && result.body, body); // the very same array, not a copy
});

Deno.test("a top-level string and top-level scalars are handled", () => {
  assert.equal(redactText('"mail me: a@b.co"').json, "mail me: [REDACTED:email]");
  assert.equal(redactText("12").changed, false);
  assert.equal(redactText("null").changed, false);
});

Deno.test("invalid JSON, invalid UTF-8 and compressed bodies are refused", () => {
  assert.deepEqual(redactJsonBody(enc.encode("{nope"), redactor, { gmail: false }), {
    ok: false,
    reason: "not_json",
  });
  assert.deepEqual(redactJsonBody(enc.encode(""), redactor, { gmail: false }), {
    ok: false,
    reason: "not_json",
  });
  const badUtf8 = new Uint8Array([0x22, 0xff, 0xfe, 0x22]);
  assert.deepEqual(redactJsonBody(badUtf8, redactor, { gmail: false }), {
    ok: false,
    reason: "not_json",
  });
  const gzip = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0]);
  assert.deepEqual(redactJsonBody(gzip, redactor, { gmail: false }), {
    ok: false,
    reason: "encoded",
  });
});

Deno.test("a real U+FFFD in the text is not mistaken for bad bytes", () => {
  const { json } = redactText('{"s":"\uFFFD call 555-123-4567"}');
  assert.deepEqual(json, { s: "\uFFFD call [REDACTED:phone]" });
});

Deno.test("bodies over maxBytes are refused as too_large", () => {
  const body = enc.encode(JSON.stringify({ s: "x".repeat(100) }));
  assert.deepEqual(redactJsonBody(body, redactor, { gmail: false, maxBytes: 50 }), {
    ok: false,
    reason: "too_large",
  });
  assert.equal(redactJsonBody(body, redactor, { gmail: false, maxBytes: 500 }).ok, true);
});

Deno.test("integers beyond 2^53 are written back digit for digit when the body changes", () => {
  const { text } = redactText('{"big":123456789012345678901,"n":[9007199254740993],"s":"a@b.co"}');
  assert.equal(text, '{"big":123456789012345678901,"n":[9007199254740993],"s":"[REDACTED:email]"}');
});

Deno.test("a __proto__ member is redacted as a member, not turned into a prototype", () => {
  const { text } = redactText('{"__proto__":"a@b.co","x":{"__proto__":["SSN 123-45-6789"]}}');
  assert.equal(text, '{"__proto__":"[REDACTED:email]","x":{"__proto__":["SSN [REDACTED:ssn]"]}}');
});

Deno.test("deeply nested bodies neither overflow the walk nor pass unredacted", () => {
  const depth = 100_000;
  const text = "[".repeat(depth) + '"a@b.co"' + "]".repeat(depth);
  // V8 parses this depth but cannot stringify it back: refused, never passed through.
  assert.deepEqual(redactJsonBody(enc.encode(text), redactor, { gmail: false }), {
    ok: false,
    reason: "too_large",
  });
  const clean = "[".repeat(depth) + '"nothing"' + "]".repeat(depth);
  assert.equal(redactJsonBody(enc.encode(clean), redactor, { gmail: false }).ok, true);
  const shallow = "[".repeat(1000) + '"a@b.co"' + "]".repeat(1000);
  assert.equal(redactText(shallow).counts.email, 1);
});

Deno.test("inspectable: JSON media types without a content coding", () => {
  assert.equal(inspectable("application/json", null), true);
  assert.equal(inspectable("application/json; charset=UTF-8", "identity"), true);
  assert.equal(inspectable("Application/Problem+JSON", ""), true);
  assert.equal(inspectable("application/vnd.github.v3+json", null), true);
  assert.equal(inspectable("text/json", null), true);
  assert.equal(inspectable("application/json", "gzip"), false);
  assert.equal(inspectable("application/json", "br"), false);
  assert.equal(inspectable("application/json; charset=iso-8859-1", null), false);
  assert.equal(inspectable("text/plain", null), false);
  assert.equal(inspectable("application/jsonp", null), false);
  assert.equal(inspectable("application/x-ndjson", null), false);
  assert.equal(inspectable(null, null), false);
});

Deno.test("reuseInput writes a changed body into the given array when it fits", () => {
  const input = enc.encode(
    '{ "note" :  "write to jane.doe@example.com",   "pad": "             " }',
  );
  const result = redactJsonBody(input, redactor, { gmail: false, reuseInput: true });
  assert.equal(result.ok && result.changed, true);
  if (!result.ok) throw new Error("unreachable");
  assert.equal(result.body.buffer, input.buffer); // a view of the input, no new memory
  assert.deepEqual(JSON.parse(dec.decode(result.body)), {
    note: "write to [REDACTED:email]",
    pad: "             ",
  });
  // Does not fit (the replacement is longer than what it replaces): a new array.
  const tight = enc.encode('{"e":"a@b.co"}');
  const grown = redactJsonBody(tight, redactor, { gmail: false, reuseInput: true });
  assert.equal(grown.ok && dec.decode(grown.body), '{"e":"[REDACTED:email]"}');
  assert.notEqual(grown.ok && grown.body.buffer, tight.buffer);
  // Without the option the input is never written to.
  const kept = enc.encode('{ "e" : "a@b.co",  "pad": "                        " }');
  const copy = kept.slice();
  redactJsonBody(kept, redactor, { gmail: false });
  assert.deepEqual(kept, copy);
});
