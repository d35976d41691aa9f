import assert from "node:assert/strict";
import { generateTOTP } from "@oslojs/otp";
import { matchTotp, totpCode, totpCounter, totpUri } from "./totp.ts";

const KEY = new Uint8Array(20).map((_, i) => i + 1);
const T = 1_700_000_000_000;

Deno.test("totpCode agrees with @oslojs/otp's generateTOTP (what authenticator apps compute)", () => {
  const now = Date.now();
  // Not across a step boundary: compute both within the same 30 s step.
  if (totpCounter(now) !== totpCounter(now + 50)) return;
  assert.equal(totpCode(KEY, now), generateTOTP(KEY, 30, 6));
});

Deno.test("matchTotp: this step or one either side; earlier or used steps are refused", () => {
  const step = totpCounter(T);
  assert.equal(matchTotp(KEY, totpCode(KEY, T), T, null), step);
  assert.equal(matchTotp(KEY, totpCode(KEY, T - 30_000), T, null), step - 1);
  assert.equal(matchTotp(KEY, totpCode(KEY, T + 30_000), T, null), step + 1);
  assert.equal(matchTotp(KEY, totpCode(KEY, T - 60_000), T, null), null, "two steps old");
  assert.equal(matchTotp(KEY, totpCode(KEY, T), T, step), null, "replayed");
  assert.equal(matchTotp(KEY, totpCode(KEY, T + 30_000), T, step), step + 1);
  for (const bad of ["", "12345", "1234567", "abcdef", " 12345"]) {
    assert.equal(matchTotp(KEY, bad, T, null), null, bad);
  }
});

Deno.test("totpUri: otpauth URI naming Securix and the admin", () => {
  const uri = new URL(totpUri("ops", KEY));
  assert.equal(uri.protocol, "otpauth:");
  assert.equal(uri.searchParams.get("issuer"), "Securix");
  assert.equal(uri.searchParams.get("digits"), "6");
  assert.equal(uri.searchParams.get("period"), "30");
});
