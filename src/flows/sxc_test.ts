import assert from "node:assert/strict";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { SXC_HASH_PATTERN, sxcHash, verifySxc } from "./sxc.ts";

Deno.test("sxc: the reveal matches its commitment, anything else does not", () => {
  const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
  const hash = sxcHash(sxc);
  assert.match(hash, SXC_HASH_PATTERN);
  assert.equal(hash, encodeBase64urlNoPadding(sha256(new TextEncoder().encode(sxc))));
  assert.equal(verifySxc(sxc, hash), true);
  assert.equal(verifySxc(sxc + "x", hash), false);
  assert.equal(verifySxc(hash, hash), false, "sending the hash back is not a reveal");
  assert.equal(verifySxc("", hash), false);
});
