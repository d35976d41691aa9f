import assert from "node:assert/strict";
import { importAesKey, NONCE_BYTES, open, seal, TAG_BYTES } from "./envelope.ts";
import { VaultError } from "./vault_error.ts";

const text = (s: string) => new TextEncoder().encode(s);
const newKey = () =>
  importAesKey(crypto.getRandomValues(new Uint8Array(32)), ["encrypt", "decrypt"]);
const decryptError = (e: unknown) => e instanceof VaultError && e.code === "SX-VAULT-DECRYPT";

Deno.test("envelope: round trip; layout is nonce, ciphertext, tag", async () => {
  const key = await newKey();
  const plain = text("refresh-token-1234");
  const sealed = await seal(key, plain, text("aad"));
  assert.equal(sealed.length, NONCE_BYTES + plain.length + TAG_BYTES);
  assert.deepEqual(await open(key, sealed, text("aad")), plain);
  assert.deepEqual(
    await open(key, await seal(key, new Uint8Array(0), text("a")), text("a")),
    new Uint8Array(0),
  );
});

Deno.test("envelope: each seal draws a fresh 96-bit nonce from the random source", async () => {
  const key = await newKey();
  const a = await seal(key, text("same"), text("aad"));
  const b = await seal(key, text("same"), text("aad"));
  assert.notDeepEqual(a.subarray(0, NONCE_BYTES), b.subarray(0, NONCE_BYTES));
  const pinned = await seal(key, text("same"), text("aad"), (bytes) => bytes.fill(7));
  assert.deepEqual(pinned.subarray(0, NONCE_BYTES), new Uint8Array(NONCE_BYTES).fill(7));
});

Deno.test("envelope: any flipped byte (nonce, ciphertext, tag) is a typed error", async () => {
  const key = await newKey();
  const sealed = await seal(key, text("secret"), text("aad"));
  for (let i = 0; i < sealed.length; i++) {
    const tampered = sealed.slice();
    tampered[i] ^= 0x80;
    await assert.rejects(open(key, tampered, text("aad")), decryptError, `byte ${i}`);
  }
});

Deno.test("envelope: wrong key, wrong associated data, short input are typed errors", async () => {
  const key = await newKey();
  const sealed = await seal(key, text("secret"), text("record-a"));
  await assert.rejects(open(await newKey(), sealed, text("record-a")), decryptError);
  await assert.rejects(open(key, sealed, text("record-b")), decryptError);
  await assert.rejects(open(key, sealed, new Uint8Array(0)), decryptError);
  for (const length of [0, NONCE_BYTES, NONCE_BYTES + TAG_BYTES - 1]) {
    await assert.rejects(open(key, sealed.subarray(0, length), text("record-a")), decryptError);
  }
  // Truncating the tag is refused too, not accepted as a shorter tag.
  await assert.rejects(
    open(key, sealed.subarray(0, sealed.length - 4), text("record-a")),
    decryptError,
  );
});

Deno.test("envelope: only 256-bit keys are imported", async () => {
  await assert.rejects(importAesKey(new Uint8Array(16), ["encrypt"]), RangeError);
});
