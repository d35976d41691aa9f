import assert from "node:assert/strict";
import { requestFraming, writeBody } from "./request_body.ts";

const body = (...parts: string[]) =>
  ReadableStream.from(parts.map((p) => new TextEncoder().encode(p)));

async function written(stream: ReadableStream<Uint8Array>, length: number) {
  let out = "";
  const whole = await writeBody(stream, length, (b) => {
    out += new TextDecoder().decode(b);
    return Promise.resolve();
  });
  return { out, whole };
}

Deno.test("request body: Content-Length bodies go as they are", async () => {
  assert.deepEqual(await written(body("hello ", "", "world"), 11), {
    out: "hello world",
    whole: true,
  });
});

Deno.test("request body: more or fewer bytes than declared fail; stop() ends the sending", async () => {
  await assert.rejects(written(body("toolong"), 3), /longer/);
  await assert.rejects(written(body("ab"), 3), /shorter/);
  const stopped = await writeBody(body("a", "b"), 2, () => Promise.resolve(), () => true);
  assert.equal(stopped, false);
});

Deno.test("request body: the framing is read from the headers", () => {
  assert.deepEqual(requestFraming(new Headers({ "content-length": "7" })), {
    kind: "length",
    length: 7,
  });
  assert.deepEqual(requestFraming(new Headers({ "transfer-encoding": "chunked" })), {
    kind: "chunked",
  });
  assert.deepEqual(requestFraming(new Headers()), { kind: "chunked" });
  assert.throws(() => requestFraming(new Headers({ "content-length": "x" })));
  assert.throws(() => requestFraming(new Headers({ "transfer-encoding": "gzip" })));
});
