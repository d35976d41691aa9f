import assert from "node:assert/strict";
import { readLimited } from "./read_limited.ts";

/** A stream of `chunks`, recording whether the reader cancelled it and how far it was pulled. */
function source(chunks: string[]) {
  const seen = { cancelled: false, pulled: 0 };
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled === chunks.length) return controller.close();
      controller.enqueue(enc.encode(chunks[seen.pulled++]));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

Deno.test("readLimited: the chunks joined, up to and including exactly the limit; an empty body is empty", async () => {
  const { stream } = source(["ab", "cd", "e"]);
  const bytes = await readLimited(stream, 5);
  assert.equal(new TextDecoder().decode(bytes!), "abcde");
  assert.deepEqual(await readLimited(source([]).stream, 5), new Uint8Array());
});

Deno.test("readLimited: one byte over the limit is null, and the rest is cancelled unread", async () => {
  const { stream, seen } = source(["abc", "def", "never read"]);
  assert.equal(await readLimited(stream, 5), null);
  assert.equal(seen.cancelled, true);
  assert.equal(seen.pulled, 2, "stopped at the chunk that crossed the limit");
});
