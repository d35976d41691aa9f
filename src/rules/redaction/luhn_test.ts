import assert from "node:assert/strict";
import { luhnValid } from "./luhn.ts";

Deno.test("luhnValid accepts the published test card numbers", () => {
  for (
    const n of [
      "4111111111111111", // Visa
      "4012888888881881", // Visa
      "5555555555554444", // Mastercard
      "2223003122003222", // Mastercard 2-series
      "378282246310005", // Amex
      "6011111111111117", // Discover
      "3530111333300000", // JCB
      "30569309025904", // Diners
      "79927398713", // the textbook example
    ]
  ) assert.equal(luhnValid(n), true, n);
});

Deno.test("luhnValid rejects a changed digit and swapped digits", () => {
  assert.equal(luhnValid("4111111111111112"), false);
  assert.equal(luhnValid("4111111111111121"), false);
  assert.equal(luhnValid("79927398710"), false);
  assert.equal(luhnValid("378282246310006"), false);
});

Deno.test("luhnValid rejects non-digits and too-short input", () => {
  assert.equal(luhnValid(""), false);
  assert.equal(luhnValid("0"), false);
  assert.equal(luhnValid("4111 1111 1111 1111"), false);
  assert.equal(luhnValid("41111111111111a1"), false);
});
