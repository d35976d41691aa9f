import assert from "node:assert/strict";
import { PeekableBody } from "./peekable_body.ts";

function chunked(...parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(parts.map((p) => enc.encode(p)));
}

async function text(body: ReadableStream<Uint8Array> | Uint8Array | null): Promise<string> {
  if (body === null) return "<null>";
  return body instanceof Uint8Array
    ? new TextDecoder().decode(body)
    : await new Response(body).text();
}

Deno.test("peekable body: an unread body is forwarded as the very same stream", () => {
  const stream = chunked("a", "b");
  const body = new PeekableBody(stream);
  assert.equal(body.forward(), stream);
  assert.equal(body.touched, false);
});

Deno.test("peekable body: a body within the limit is read whole and forwarded as bytes", async () => {
  const body = new PeekableBody(chunked("hello ", "world"));
  const read = await body.read(64);
  assert.ok(read instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(read), "hello world");
  const forwarded = body.forward();
  assert.ok(forwarded instanceof Uint8Array);
  assert.equal(await text(forwarded), "hello world");
});

Deno.test("peekable body: past the limit it says too_large and still forwards every byte in order", async () => {
  const body = new PeekableBody(chunked("aaaa", "bbbb", "cccc", "dddd"));
  assert.equal(await body.read(6), "too_large");
  assert.equal(await body.read(2), "too_large", "a smaller limit after a larger read");
  assert.equal(await text(body.forward()), "aaaabbbbccccdddd");
});

Deno.test("peekable body: a second, larger read continues where the first stopped", async () => {
  const body = new PeekableBody(chunked("aaaa", "bbbb", "cccc"));
  assert.equal(await body.read(3), "too_large");
  const whole = await body.read(100);
  assert.ok(whole instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(whole), "aaaabbbbcccc");
});

Deno.test("peekable body: bytes and null sources", async () => {
  const bytes = new TextEncoder().encode("xyz");
  assert.equal(await new PeekableBody(bytes).read(3), bytes);
  assert.equal(await new PeekableBody(bytes).read(2), "too_large");
  assert.equal(await new PeekableBody(null).read(10), null);
  assert.equal(new PeekableBody(null).forward(), null);
});

Deno.test("peekable body: discard cancels the source", async () => {
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(new Uint8Array(4));
    },
    cancel() {
      cancelled = true;
    },
  });
  const body = new PeekableBody(stream);
  assert.equal(await body.read(10), "too_large");
  await body.discard();
  assert.ok(cancelled);
});

Deno.test("peekable body: inspect refuses a compressed body unread; read and forward still pass it", async () => {
  const stream = chunked("\x1f\x8b", "rest");
  const body = new PeekableBody(stream, "gzip, identity");
  await assert.rejects(body.inspect(1024), (error: unknown) => {
    const sx = error as { code: string; status: number };
    return sx.code === "SX-UNINSPECTABLE" && sx.status === 415;
  });
  assert.equal(body.touched, false, "nothing was read");
  assert.equal(body.forward(), stream);
  assert.equal(await new PeekableBody(null, "gzip").inspect(1024), null, "no body, nothing hidden");
  const plain = new PeekableBody(chunked("a=1"), " Identity");
  assert.equal(new TextDecoder().decode((await plain.inspect(1024)) as Uint8Array), "a=1");
});

/** Lets bytes by until it sees "X"; holds back a trailing "H" until the next chunk. */
function scanRefusingX() {
  let held = "";
  const enc = new TextEncoder();
  const pass = (t: string) => {
    if (t.includes("X")) throw new Error("refused");
    const all = held + t;
    held = all.endsWith("H") ? "H" : "";
    const out = held ? all.slice(0, -1) : all;
    return out ? [enc.encode(out)] : [];
  };
  return {
    push: (chunk: Uint8Array) => pass(new TextDecoder().decode(chunk)),
    end: () => held ? [enc.encode(held)] : [],
  };
}

Deno.test("peekable body: a scan judges what was read at once, the rest as it is forwarded", async () => {
  const body = new PeekableBody(chunked("aaaH", "bbbb", "ccH", "d"));
  assert.equal(await body.read(5), "too_large");
  body.scan(scanRefusingX());
  assert.equal(await text(body.forward()), "aaaHbbbbccHd");
  assert.equal(body.refusal, null);

  const early = new PeekableBody(chunked("aaXa", "bbbb", "cccc"));
  assert.equal(await early.read(5), "too_large");
  assert.throws(
    () => early.scan(scanRefusingX()),
    /refused/,
    "a refusal in what was read throws now",
  );

  const late = new PeekableBody(chunked("aaaa", "bbbb", "ccXc", "dddd"));
  assert.equal(await late.read(5), "too_large");
  late.scan(scanRefusingX());
  const reader = (late.forward() as ReadableStream<Uint8Array>).getReader();
  let got = "";
  await assert.rejects(async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got += new TextDecoder().decode(value);
    }
  }, /refused/);
  assert.equal(got, "aaaabbbb", "nothing of the refused chunk went on");
  assert.match(String(late.refusal), /refused/);
});
