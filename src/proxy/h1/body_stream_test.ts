import assert from "node:assert/strict";
import { type ByteReader, chunkReader } from "./byte_reader.ts";
import { bodyStream, readWhole, responseBody, SMALL_BODY } from "./body_stream.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** A reader that counts its reads, to see nothing is read ahead of the caller. */
function counting(chunks: Uint8Array[]): ByteReader & { reads: number } {
  const inner = chunkReader(chunks);
  const reader = {
    reads: 0,
    read() {
      reader.reads++;
      return inner.read();
    },
    unread: (b: Uint8Array) => inner.unread(b),
  };
  return reader;
}

Deno.test("body stream: reads the socket only when the caller asks", async () => {
  const reader = counting([bytes("aaaa"), bytes("bbbb"), bytes("cccc")]);
  const ends: boolean[] = [];
  const stream = bodyStream(reader, { kind: "length", length: 12 }, (whole) => ends.push(whole));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(reader.reads, 0, "nothing read before the first read");
  const r = stream.getReader();
  assert.equal(String.fromCharCode(...(await r.read()).value!), "aaaa");
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(reader.reads, 1, "one socket read per caller read");
  await r.read();
  await r.read();
  assert.equal((await r.read()).done, true);
  assert.deepEqual(ends, [true]);
});

Deno.test("body stream: a length body stops at its length and leaves the rest; an early end errors", async () => {
  const reader = chunkReader([bytes("hello, next")]);
  const ends: boolean[] = [];
  const body = await new Response(
    bodyStream(reader, { kind: "length", length: 5 }, (w) => ends.push(w)),
  ).text();
  assert.equal(body, "hello");
  assert.equal(String.fromCharCode(...(await reader.read())!), ", next");
  const short = bodyStream(
    chunkReader([bytes("hel")]),
    { kind: "length", length: 5 },
    (w) => ends.push(w),
  );
  await assert.rejects(new Response(short).text(), /closed mid-body/);
  assert.deepEqual(ends, [true, false]);
});

Deno.test("body stream: chunked and close-delimited bodies; cancel reports an unfinished body", async () => {
  const chunked = bodyStream(
    chunkReader([bytes("3\r\nabc\r\n0\r\n\r\n")]),
    { kind: "chunked" },
    () => {},
  );
  assert.equal(await new Response(chunked).text(), "abc");
  const close = bodyStream(
    chunkReader([bytes("until"), bytes(" the end")]),
    { kind: "close" },
    () => {},
  );
  assert.equal(await new Response(close).text(), "until the end");
  const ends: boolean[] = [];
  const cancelled = bodyStream(
    chunkReader([bytes("abc")]),
    { kind: "length", length: 99 },
    (w) => ends.push(w),
  );
  await cancelled.cancel();
  assert.deepEqual(ends, [false]);
});

Deno.test("body stream: small known lengths are read whole, larger ones stream, none is null", async () => {
  const small = await responseBody(chunkReader([bytes("ab"), bytes("cdEXTRA")]), {
    kind: "length",
    length: 4,
  }, () => {});
  assert.ok(small instanceof Uint8Array);
  assert.equal(String.fromCharCode(...small), "abcd");
  const big = await responseBody(
    chunkReader([]),
    { kind: "length", length: SMALL_BODY + 1 },
    () => {},
  );
  assert.ok(big instanceof ReadableStream);
  await big.cancel();
  assert.equal(await responseBody(chunkReader([]), { kind: "none" }, () => {}), null);
  await assert.rejects(readWhole(chunkReader([bytes("ab")]), 4), /closed mid-body/);
});

Deno.test("readWhole: a body that came in one read is that read's bytes, not a copy; the rest goes back", async () => {
  const read = bytes('{"ok":true}NEXT');
  const reader = chunkReader([read]);
  const body = await readWhole(reader, 11);
  assert.equal(String.fromCharCode(...body), '{"ok":true}');
  assert.equal(body.buffer, read.buffer, "no copy");
  assert.equal(String.fromCharCode(...(await reader.read())!), "NEXT");
  const split = await readWhole(chunkReader([bytes("ab"), bytes("cd")]), 4);
  assert.equal(String.fromCharCode(...split), "abcd");
  assert.equal((await readWhole(chunkReader([]), 0)).byteLength, 0);
});
