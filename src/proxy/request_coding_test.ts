import assert from "node:assert/strict";
import { identityCoded } from "./request_coding.ts";

Deno.test("identityCoded: only no coding or identity is the body as sent", () => {
  for (const plain of [null, "", "identity", " Identity ", "identity, IDENTITY"]) {
    assert.equal(identityCoded(plain), true, String(plain));
  }
  for (const coded of ["gzip", "GZip ", "x-gzip", "deflate", "br", "zstd", "gzip, identity"]) {
    assert.equal(identityCoded(coded), false, coded);
  }
  assert.equal(identityCoded("identity,deflate"), false);
});
