import assert from "node:assert/strict";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { digestApiKey, generateApiKey, looksLikeApiKey } from "./api_key.ts";

Deno.test("digestApiKey: hex SHA-256 of the key, so digests stored by earlier versions still match", () => {
  for (const key of [generateApiKey(), "sx_live_" + "a".repeat(52), "é"]) {
    const reference = encodeHexLowerCase(sha256(new TextEncoder().encode(key)));
    assert.equal(digestApiKey(key), reference);
  }
  assert.ok(looksLikeApiKey(generateApiKey()));
});
