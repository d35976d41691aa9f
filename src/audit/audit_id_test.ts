import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { auditIds } from "./audit_id.ts";

// Fixed "randomness", so the ids are known: values computed by the encoding
// before the batch's bytes were hex-encoded at once.
const fill = (bytes: Uint8Array) => {
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 255;
  return bytes;
};

Deno.test("auditIds: the encoding of time and random bytes is unchanged", () => {
  const ats = [
    0,
    1,
    1_796_201_234_567,
    1_796_201_234_567,
    1_796_201_234_567.9,
    -5,
    1_796_201_234_568,
  ];
  assert.deepEqual(auditIds(ats, fill), [
    "aud_0000000000b30557a9fc4e90e3358",
    "aud_0000000017da2c7ec11365b80a5ca",
    "aud_0mx5vu6pzef14395e83a8cdf2173c",
    "aud_0mx5vu6pz6186abd0f51a3f6489ae",
    "aud_0mx5vu6pzd3f81d42678cb1d6fb20",
    "aud_000000000456a8fb4d9fe23486d92",
    "aud_0mx5vu6q0b7dc01264b7095badf04",
  ]);
});

Deno.test("auditIds: a batch past one getRandomValues call (65536 bytes) keeps every id's own bytes", () => {
  const ats = Array.from({ length: 7000 }, (_, i) => 1_796_201_234_567 + (i >> 3));
  const ids = auditIds(ats, fill);
  assert.equal(
    createHash("sha256").update(ids.join("\n")).digest("hex"),
    "2b0615f6bf6bbb605ddf26af0dd26fbedcade1f722b373e05fb367a8ce98a4bb",
  );
  assert.equal(new Set(auditIds(ats)).size, ats.length);
});
