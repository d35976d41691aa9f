import assert from "node:assert/strict";
import type { SecurixError } from "../errors/securix_error.ts";
import { checkedHead, formatHead, headArgument, parseHead, signHead } from "./signed_head.ts";

const key = (n: number) => new Uint8Array(32).fill(n);
const HASH = "ab".repeat(32);

Deno.test("signed head: the token round-trips from a bare value, JSON or a log line, and only this key's signature passes", async () => {
  const head = await signHead(key(1), { seq: 42, hash: HASH, at: 1_800_000_000_000 });
  const token = formatHead(head);
  assert.match(token, /^sxh1\.42\.(ab){32}\.1800000000000\.[0-9a-f]{64}$/);
  for (
    const text of [token, JSON.stringify({ ...head, head: token }), `audit head: ${token} (x)`]
  ) {
    assert.deepEqual(await checkedHead(key(1), text), head);
  }
  await assert.rejects(checkedHead(key(2), token), /another master key/);
  const later = formatHead({ ...head, seq: 43 });
  await assert.rejects(checkedHead(key(1), later), /SX-AUDIT-HEAD-INVALID|another master key/);
  assert.throws(() => parseHead("sxh1.nope"), /No signed audit head/);
});

Deno.test("signed head: --expect-head that is neither a head nor a file is not repeated", async () => {
  const pasted = "sxc_" + "s3cr3t".repeat(8);
  const error = await headArgument(pasted).then(() => null, (e: SecurixError) => e);
  assert.equal(error?.code, "SX-AUDIT-HEAD-INVALID");
  assert.match(error!.message, /no such file/);
  assert.ok(!error!.message.includes("s3cr3t"), error!.message);
});
