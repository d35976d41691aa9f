import assert from "node:assert/strict";
import { hashPassword, verifyPassword } from "./password_hash.ts";

// Cheap parameters: these tests check the format and comparison, not the cost.
const FAST = { N: 1024, r: 8, p: 1 };

Deno.test("hashPassword: scrypt with its parameters and a fresh salt; never the password", async () => {
  const a = await hashPassword("correct horse battery staple", FAST);
  const b = await hashPassword("correct horse battery staple", FAST);
  assert.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.notEqual(a, b, "salted");
  assert.equal(a.includes("horse"), false);
  assert.equal(await verifyPassword("correct horse battery staple", a), true);
  assert.equal(await verifyPassword("correct horse battery stapl", a), false);
  assert.equal(await verifyPassword("", a), false);
});

Deno.test("verifyPassword: a malformed or foreign hash never verifies", async () => {
  for (const stored of ["", "plain", "bcrypt$x$y", "scrypt$1024$8$1$$"]) {
    assert.equal(await verifyPassword("x", stored), false, stored);
  }
});

Deno.test("the default cost is memory-hard: N = 2^15, r = 8 (32 MiB)", async () => {
  const stored = await hashPassword("a long enough passphrase");
  assert.match(stored, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword("a long enough passphrase", stored), true);
});
