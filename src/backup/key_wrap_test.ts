import assert from "node:assert/strict";
import {
  DEFAULT_KDF_COST,
  readPassphraseFile,
  unwrapMasterKey,
  wrapMasterKey,
  wrappedKeySchema,
} from "./key_wrap.ts";

const FAST = { n: 2 ** 12, r: 8, p: 1 };
const key = crypto.getRandomValues(new Uint8Array(32));

Deno.test("key wrap: the passphrase unwraps the key; a wrong one or another fingerprint does not", async () => {
  const wrapped = await wrapMasterKey(key, "correct horse battery", "0011223344556677", FAST);
  assert.equal(wrapped.kdf, "scrypt");
  assert.equal(wrappedKeySchema.parse(wrapped).n, FAST.n);
  assert.ok(!JSON.stringify(wrapped).includes(Buffer.from(key).toString("base64")));
  assert.deepEqual(
    await unwrapMasterKey(wrapped, "correct horse battery", "0011223344556677"),
    key,
  );
  await assert.rejects(
    unwrapMasterKey(wrapped, "correct horse batterx", "0011223344556677"),
    (e: Error & { code?: string }) => e.code === "SX-BACKUP-PASSPHRASE",
  );
  // The fingerprint is authenticated data: a header naming another key does not unwrap.
  await assert.rejects(
    unwrapMasterKey(wrapped, "correct horse battery", "7766554433221100"),
    (e: Error & { code?: string }) => e.code === "SX-BACKUP-PASSPHRASE",
  );
  // Two wraps of one key differ (random salt and IV).
  const again = await wrapMasterKey(key, "correct horse battery", "0011223344556677", FAST);
  assert.notEqual(again.salt, wrapped.salt);
  assert.notEqual(again.ciphertext, wrapped.ciphertext);
});

Deno.test("key wrap: the default cost is memory-hard; a header may not ask for more than 2^20", async () => {
  assert.deepEqual(DEFAULT_KDF_COST, { n: 2 ** 17, r: 8, p: 1 });
  const started = performance.now();
  const wrapped = await wrapMasterKey(key, "correct horse battery", "0011223344556677");
  assert.ok(performance.now() - started > 50, "scrypt at N=2^17 takes measurable time");
  assert.deepEqual(
    await unwrapMasterKey(wrapped, "correct horse battery", "0011223344556677"),
    key,
  );
  assert.equal(wrappedKeySchema.safeParse({ ...wrapped, n: 2 ** 21 }).success, false);
  assert.equal(wrappedKeySchema.safeParse({ ...wrapped, n: 3000 }).success, false);
  // Each bound alone let a crafted header ask for 4 GiB (N=2^20, r=32) or 16 times the work.
  assert.equal(wrappedKeySchema.safeParse({ ...wrapped, n: 2 ** 20, r: 32 }).success, false);
  assert.equal(wrappedKeySchema.safeParse({ ...wrapped, n: 2 ** 18, r: 8, p: 16 }).success, false);
  assert.equal(wrappedKeySchema.safeParse({ ...wrapped, n: 2 ** 18, r: 8, p: 2 }).success, true);
});

Deno.test("key wrap: passphrase files lose one trailing newline; short or missing ones are refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/p`, "correct horse battery\n");
    assert.equal(await readPassphraseFile(`${dir}/p`), "correct horse battery");
    await Deno.writeTextFile(`${dir}/crlf`, "correct horse battery \r\n");
    assert.equal(await readPassphraseFile(`${dir}/crlf`), "correct horse battery ");
    await Deno.writeTextFile(`${dir}/short`, "hunter2\n");
    await assert.rejects(readPassphraseFile(`${dir}/short`), /shorter than 12/);
    await assert.rejects(readPassphraseFile(`${dir}/none`), /Cannot read the passphrase file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
