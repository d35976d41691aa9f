import assert from "node:assert/strict";
import { GATHER_BYTES, UNCOPIED_CHUNK, writeChunked } from "./chunked_request.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Each write, as the socket would get it. */
async function writes(body: ReadableStream<Uint8Array>, head = "HEAD\r\n\r\n") {
  const out: Uint8Array[] = [];
  const whole = await writeChunked(body, encode(head), (bytes) => {
    out.push(bytes.slice());
    return Promise.resolve();
  }, () => false);
  return { out, whole };
}

Deno.test("chunked request: pieces already there go with the head and the last chunk in one write, each its own chunk", async () => {
  const { out, whole } = await writes(ReadableStream.from(["hello ", "", "world"].map(encode)));
  assert.equal(whole, true);
  assert.deepEqual(out.map(decode), ["HEAD\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n"]);
  const empty = await writes(ReadableStream.from<Uint8Array>([]));
  assert.deepEqual(empty.out.map(decode), ["HEAD\r\n\r\n0\r\n\r\n"]);
});

Deno.test("chunked request: a piece that has to wait sends what came before it first", async () => {
  let release = () => {};
  const later = new Promise<void>((resolve) => release = resolve);
  const body = ReadableStream.from((async function* () {
    yield encode("a");
    await later;
    yield encode("b");
  })());
  const out: string[] = [];
  const done = writeChunked(body, encode("H;"), (bytes) => {
    out.push(decode(bytes));
    if (out.length === 1) setTimeout(release, 5);
    return Promise.resolve();
  }, () => false);
  assert.equal(await done, true);
  assert.deepEqual(out, ["H;1\r\na\r\n", "1\r\nb\r\n0\r\n\r\n"]);
});

Deno.test("chunked request: gathering stops at GATHER_BYTES; a large piece is written uncopied after its size line", async () => {
  const piece = new Uint8Array(GATHER_BYTES / 4);
  const { out } = await writes(ReadableStream.from(Array.from({ length: 8 }, () => piece)), "");
  assert.ok(out.length >= 2 && out.length <= 3, `${out.length} writes for 2 × GATHER_BYTES`);
  assert.ok(out.every((bytes) => bytes.byteLength <= GATHER_BYTES + piece.byteLength + 16));
  const large = new Uint8Array(UNCOPIED_CHUNK + 1);
  const sent: Uint8Array[] = [];
  await writeChunked(ReadableStream.from([large]), encode("H;"), (bytes) => {
    sent.push(bytes);
    return Promise.resolve();
  }, () => false);
  assert.equal(sent.length, 3);
  assert.equal(decode(sent[0]), `H;${(UNCOPIED_CHUNK + 1).toString(16)}\r\n`);
  assert.equal(sent[1], large, "the caller's own bytes, not a copy");
  assert.equal(decode(sent[2]), "\r\n0\r\n\r\n");
});

Deno.test("chunked request: stop() ends the sending; a failing body rejects with its error", async () => {
  const stopped = await writeChunked(
    ReadableStream.from(["a", "b"].map(encode)),
    encode("H;"),
    () => Promise.resolve(),
    () => true,
  );
  assert.equal(stopped, false);
  const failing = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.error(new Error("body too large")),
  });
  await assert.rejects(
    writeChunked(failing, encode("H;"), () => Promise.resolve(), () => false),
    /body too large/,
  );
});

Deno.test("chunked request: a body that fails while a write is under way rejects once, with its error", async () => {
  // The read that runs ahead of a slow write fails before anything awaits it:
  // it must not surface as an unhandled rejection, which would end the process.
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(new Uint8Array(GATHER_BYTES * 2));
      else controller.error(new Error("caller went away"));
    },
  }, { highWaterMark: 0 });
  const slowWrite = () => new Promise<void>((resolve) => setTimeout(resolve, 20));
  await assert.rejects(
    writeChunked(body, encode("H;"), slowWrite, () => false),
    /caller went away/,
  );
});
