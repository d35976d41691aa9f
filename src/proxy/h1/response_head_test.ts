import assert from "node:assert/strict";
import { chunkReader, H1Error } from "./byte_reader.ts";
import { framingOf, parseHead, readHead, readResponseHead } from "./response_head.ts";

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (b: Uint8Array) => String.fromCharCode(...b);

Deno.test("response head: read up to the blank line, the rest is left for the body", async () => {
  const reader = chunkReader([bytes("HTTP/1.1 200 OK\r\nA: 1\r"), bytes("\n\r\nbody")]);
  assert.equal(text(await readHead(reader)), "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n");
  assert.equal(text((await reader.read())!), "body");
});

Deno.test("response head: a bare LF, an overlong head and an early end are refused", async () => {
  await assert.rejects(readHead(chunkReader([bytes("HTTP/1.1 200 OK\nA: 1\r\n\r\n")])), /bare LF/);
  await assert.rejects(
    readHead(chunkReader([bytes("HTTP/1.1 200 OK\r\n" + "A: 1\r\n".repeat(20))]), 64),
    /too large/,
  );
  await assert.rejects(readHead(chunkReader([bytes("HTTP/1.1 200 OK\r\n")])), /ended inside/);
  await assert.rejects(readHead(chunkReader([])), /before answering/);
});

Deno.test("response head: strict status line and fields; values trimmed, latin1 kept", () => {
  const head = parseHead(
    bytes("HTTP/1.1 404 Not Found\r\nX-A:  a b \t\r\nX-B: Ren\xe9e\r\nX-E:\r\n\r\n"),
  );
  assert.deepEqual(head, {
    minor: 1,
    status: 404,
    reason: "Not Found",
    headers: [["X-A", "a b"], ["X-B", "Ren\xe9e"], ["X-E", ""]],
  });
  assert.equal(parseHead(bytes("HTTP/1.0 200\r\n\r\n")).minor, 0);
  for (
    const bad of [
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.1 600 X\r\n\r\n",
      "HTTP/1.1 200 O\x00K\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA : 1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: 1\x00\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: 1\rB\r\n\r\n",
      "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
      "\r\n",
    ]
  ) assert.throws(() => parseHead(bytes(bad)), H1Error, JSON.stringify(bad));
  assert.throws(
    () => parseHead(bytes(`HTTP/1.1 200 OK\r\n${"A: 1\r\n".repeat(3)}\r\n`), 2),
    /too many/,
  );
});

Deno.test("response head: framing is one Content-Length or chunked, never both; no body for HEAD, 204, 304", () => {
  const head = (fields: string, status = 200, version = "1.1") =>
    parseHead(bytes(`HTTP/${version} ${status} X\r\n${fields}\r\n`));
  assert.deepEqual(framingOf(head("Content-Length: 12\r\n"), "GET"), {
    framing: { kind: "length", length: 12 },
    keepAlive: true,
  });
  assert.deepEqual(framingOf(head("Transfer-Encoding: Chunked\r\n"), "GET").framing, {
    kind: "chunked",
  });
  assert.deepEqual(framingOf(head(""), "GET"), { framing: { kind: "close" }, keepAlive: false });
  assert.equal(
    framingOf(head("Connection: keep-alive, Close\r\nContent-Length: 0\r\n"), "GET").keepAlive,
    false,
  );
  assert.equal(framingOf(head("Content-Length: 0\r\n", 200, "1.0"), "GET").keepAlive, false);
  for (
    const [status, method] of [[200, "HEAD"], [204, "GET"], [304, "GET"], [103, "GET"]] as const
  ) {
    assert.deepEqual(framingOf(head("Content-Length: 5\r\n", status), method).framing, {
      kind: "none",
    });
  }
  for (
    const bad of [
      "Content-Length: 1\r\nContent-Length: 1\r\n",
      "Content-Length: 1, 1\r\n",
      "Content-Length: -1\r\n",
      "Content-Length: 1234567890123456\r\n",
      "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
      "Transfer-Encoding: gzip, chunked\r\n",
      "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
    ]
  ) assert.throws(() => framingOf(head(bad), "GET"), H1Error, bad);
});

Deno.test("response head: interim answers are skipped, 101 is refused", async () => {
  const final = await readResponseHead(
    chunkReader([
      bytes(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Hints\r\nLink: <x>\r\n\r\nHTTP/1.1 201 Created\r\n\r\n",
      ),
    ]),
    "GET",
  );
  assert.equal(final.head.status, 201);
  await assert.rejects(
    readResponseHead(chunkReader([bytes("HTTP/1.1 101 Switching\r\n\r\n")]), "GET"),
    /protocol switch/,
  );
  const many = "HTTP/1.1 100 Continue\r\n\r\n".repeat(40) + "HTTP/1.1 200 OK\r\n\r\n";
  await assert.rejects(readResponseHead(chunkReader([bytes(many)]), "GET"), /too many interim/);
});

Deno.test("response head: a head sent a byte at a time reads the same", async () => {
  const whole = "HTTP/1.1 200 OK\r\n" + "X-Field: some value\r\n".repeat(300) + "\r\n";
  const reader = chunkReader([...bytes(whole + "body")].map((b) => Uint8Array.of(b)));
  assert.equal(text(await readHead(reader)), whole);
  assert.equal(text((await reader.read())!), "b");
});
