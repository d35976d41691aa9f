import assert from "node:assert/strict";
import {
  DEVICE_CODE_ALPHABET,
  generateDeviceCode,
  hashDeviceCode,
  normalizeDeviceCode,
} from "./device_code.ts";

Deno.test("device code: ABCD-2345 shape from the unambiguous alphabet", () => {
  for (let i = 0; i < 200; i++) {
    const code = generateDeviceCode();
    assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    for (const ch of code.replace("-", "")) assert.ok(DEVICE_CODE_ALPHABET.includes(ch), ch);
  }
  for (const ch of "AEIOU01") assert.equal(DEVICE_CODE_ALPHABET.includes(ch), false);
});

Deno.test("device code: symbols are uniform (rejection sampling)", () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 4000; i++) {
    for (const ch of generateDeviceCode().replace("-", "")) {
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
  }
  const expected = 32000 / DEVICE_CODE_ALPHABET.length;
  for (const [ch, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.2, `${ch}: ${n}`);
});

Deno.test("device code: lower case, spaces and missing hyphen normalise to one code", () => {
  assert.equal(normalizeDeviceCode("bcdf-2345"), "BCDF2345");
  assert.equal(normalizeDeviceCode(" bcdf2345 "), "BCDF2345");
  assert.equal(normalizeDeviceCode("BCDF 2345"), "BCDF2345");
  assert.equal(normalizeDeviceCode("BCDF-234"), null);
  assert.equal(normalizeDeviceCode("AEIO-0123"), null);
  assert.equal(hashDeviceCode("BCDF2345"), hashDeviceCode(normalizeDeviceCode("bcdf-2345")!));
  assert.notEqual(hashDeviceCode("BCDF2345"), hashDeviceCode("BCDF2346"));
});
