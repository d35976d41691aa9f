import assert from "node:assert/strict";
import { EMPTY_PAYLOAD_HASH, UNSIGNED_PAYLOAD } from "../providers/credential_injection.ts";
import { PeekableBody } from "./peekable_body.ts";
import { signedPayloadHash } from "./signed_payload.ts";

const stream = (...chunks: string[]) =>
  ReadableStream.from(chunks.map((c) => new TextEncoder().encode(c)));

async function text(body: PeekableBody): Promise<string> {
  const out = body.forward();
  if (out === null) return "";
  if (out instanceof Uint8Array) return new TextDecoder().decode(out);
  return await new Response(out).text();
}

Deno.test("signed payload: a small Content-Length body is hashed and still forwarded whole", async () => {
  const body = new PeekableBody(stream("hel", "lo"));
  assert.equal(
    await signedPayloadHash(body, "5", 1024),
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
  );
  assert.equal(await text(body), "hello");
});

Deno.test("signed payload: no body, a large body or a chunked stream", async () => {
  assert.equal(await signedPayloadHash(new PeekableBody(null), null), EMPTY_PAYLOAD_HASH);
  const large = new PeekableBody(stream("x".repeat(10)));
  assert.equal(await signedPayloadHash(large, "2048", 1024), UNSIGNED_PAYLOAD);
  assert.equal(await text(large), "x".repeat(10), "nothing was read");
  const lying = new PeekableBody(stream("x".repeat(2000)));
  assert.equal(await signedPayloadHash(lying, "10", 1024), UNSIGNED_PAYLOAD);
  assert.equal((await text(lying)).length, 2000);
  const chunked = new PeekableBody(stream("a", "b", "c"));
  assert.equal(await signedPayloadHash(chunked, null, 1024), UNSIGNED_PAYLOAD);
  assert.equal(await text(chunked), "abc");
});
