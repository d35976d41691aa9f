import assert from "node:assert/strict";
import { chunkReader, H1Error } from "./byte_reader.ts";
import { ChunkedDecoder, chunkSize, readLine } from "./chunked_body.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

async function decode(...parts: string[]): Promise<string> {
  const decoder = new ChunkedDecoder(chunkReader(parts.map(bytes)));
  let out = "";
  for (let piece = await decoder.next(); piece !== null; piece = await decoder.next()) {
    out += String.fromCharCode(...piece);
  }
  return out;
}

Deno.test("chunked body: sizes in hex, extensions tolerated, trailers dropped, pieces across reads", async () => {
  assert.equal(
    await decode('5\r\nhello\r\n6;a=b;c="d;e"\r\n world\r\n0\r\nX-T: 1\r\n\r\n'),
    "hello world",
  );
  assert.equal(await decode("5\r", "\nhel", "lo\r\n0", "\r\n\r\n"), "hello");
  assert.equal(await decode("A\r\n0123456789\r\n0\r\n\r\n"), "0123456789");
  // Bytes after the body are left for whoever reads next.
  const reader = chunkReader([bytes("1\r\na\r\n0\r\n\r\nNEXT")]);
  const decoder = new ChunkedDecoder(reader);
  while (await decoder.next() !== null);
  assert.equal(String.fromCharCode(...(await reader.read())!), "NEXT");
});

Deno.test("chunked body: bad sizes, bad extensions, missing CRLFs and early ends are refused", async () => {
  for (
    const bad of [
      "zz\r\nabc\r\n0\r\n\r\n",
      "\r\nabc\r\n0\r\n\r\n",
      "-1\r\nabc\r\n0\r\n\r\n",
      "3 \r\nabc\r\n0\r\n\r\n",
      "3; a=b\r\nabc\r\n0\r\n\r\n",
      "3;a=b c\r\nabc\r\n0\r\n\r\n",
      "3\r\nabcd\r\n0\r\n\r\n",
      "3\nabc\r\n0\r\n\r\n",
      "3\r\nabc\r\n0\r\nBad Trailer: 1\r\n\r\n",
      "3\r\nabc\r\n0\r\n",
      "a\r\nabc",
      "10000000000000\r\n",
    ]
  ) await assert.rejects(decode(bad), H1Error, JSON.stringify(bad));
});

Deno.test("chunked body: 13 hex digits at most, lines and trailers are bounded", async () => {
  assert.equal(chunkSize(bytes("fffffffffffff")), 0xfffffffffffff);
  assert.throws(() => chunkSize(bytes("10000000000000")), /too large/);
  await assert.rejects(readLine(chunkReader([bytes("x".repeat(100) + "\r\n")]), 10), /too long/);
  const trailers = "X: 1\r\n".repeat(300);
  await assert.rejects(decode(`0\r\n${trailers}\r\n`), /trailers too large/);
});

Deno.test("chunked body: a body sent a byte at a time decodes the same", async () => {
  const encoded = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n";
  assert.equal(await decode(...encoded), "hello world");
});
