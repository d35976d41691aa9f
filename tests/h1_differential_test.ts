/**
 * The upstream client's response parser against Node's llhttp (the parser of
 * node:http, Node v20 on this machine): every corpus response, valid and
 * malformed, split at every byte boundary into two reads, must give the same
 * verdict at every split, and never be accepted when llhttp refuses it. Where
 * llhttp accepts and we refuse, the case must be listed in STRICTER with the
 * reason (and the list is checked to be still true).
 * The oracle is tests/helpers/llhttp_oracle.mjs, run with `node`.
 */
import assert from "node:assert/strict";
import { chunkReader } from "../src/proxy/h1/byte_reader.ts";
import { responseBody } from "../src/proxy/h1/body_stream.ts";
import { readResponseHead } from "../src/proxy/h1/response_head.ts";

interface Case {
  name: string;
  method: string;
  bytes: Uint8Array;
}

interface Verdict {
  ok: boolean;
  status?: number;
  reason?: string;
  headers?: [string, string][];
  body?: string;
  error?: string;
}

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const corpus: Case[] = [];
const add = (name: string, text: string, method = "GET") =>
  corpus.push({ name, method, bytes: latin1(text) });

const OK = "HTTP/1.1 200 OK\r\n";
const CHUNKED = `${OK}Transfer-Encoding: chunked\r\n\r\n`;

// Valid answers.
add("content-length", `${OK}Content-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello`);
add("content-length zero", `${OK}Content-Length: 0\r\n\r\n`);
add("chunked", `${CHUNKED}5\r\nhello\r\n0\r\n\r\n`);
add("chunked, several chunks", `${CHUNKED}3\r\nabc\r\n1\r\nd\r\nA\r\n0123456789\r\n0\r\n\r\n`);
add("chunked, extension", `${CHUNKED}3;name=value\r\nabc\r\n0;last\r\n\r\n`);
add("chunked, quoted extension", `${CHUNKED}3;name="a; \\"b"\r\nabc\r\n0\r\n\r\n`);
add("chunked, trailers", `${CHUNKED}3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n`);
add("chunked, upper-case hex", `${CHUNKED}B\r\nhello world\r\n0\r\n\r\n`);
add("chunked, leading zeros", `${CHUNKED}0003\r\nabc\r\n000\r\n\r\n`);
add("chunked, name case", `${OK}transfer-encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add("body until close", `${OK}Content-Type: text/plain\r\n\r\nall of it`);
add("HTTP/1.0 with length", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi");
add("HTTP/1.0 until close", "HTTP/1.0 200 OK\r\n\r\nuntil the end");
add("HEAD with length", `${OK}Content-Length: 10\r\n\r\n`, "HEAD");
add("HEAD with chunked", `${CHUNKED}`, "HEAD");
add("204", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
add("204 with length 0", "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
add("204 with a body after", "HTTP/1.1 204 No Content\r\n\r\nabc");
add("304 with length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n");
add("100 then 200", `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`);
add(
  "103 then 200",
  `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
);
add(
  "two 100s then 200",
  `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 0\r\n\r\n`,
);
add("empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
add("no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
add("reason with obs-text", "HTTP/1.1 200 D\xe9j\xe0 vu\r\nContent-Length: 0\r\n\r\n");
add("value with obs-text", `${OK}X-Name: Ren\xe9e\r\nContent-Length: 0\r\n\r\n`);
add("value with a tab", `${OK}X-A: a\tb\r\nContent-Length: 0\r\n\r\n`);
add("empty value", `${OK}X-Empty:\r\nContent-Length: 0\r\n\r\n`);
add("value with surrounding whitespace", `${OK}X-A: \t a b \t\r\nContent-Length: 0\r\n\r\n`);
add("200 headers", `${OK}${"X-Many: v\r\n".repeat(200)}Content-Length: 0\r\n\r\n`);
add("connection close", `${OK}Connection: close\r\nContent-Length: 2\r\n\r\nok`);
add("length with leading zeros", `${OK}Content-Length: 007\r\n\r\n1234567`);
add("404 with body", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
add("599", "HTTP/1.1 599 Odd\r\nContent-Length: 0\r\n\r\n");
add("set-cookie twice", `${OK}Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n`);
add("every tchar in a name", `${OK}!#$%&'*+-.^_\`|~09AZaz: v\r\nContent-Length: 0\r\n\r\n`);
add("large chunked body", `${CHUNKED}${"400\r\n" + "x".repeat(1024) + "\r\n"}0\r\n\r\n`);
add(
  "gzip content-encoding untouched",
  `${OK}Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00`,
);
add("data after the answer", `${OK}Content-Length: 2\r\n\r\nokEXTRA`);

// Malformed answers.
add("chunk size not hex", `${CHUNKED}zz\r\nabc\r\n0\r\n\r\n`);
add("chunk size empty", `${CHUNKED}\r\nabc\r\n0\r\n\r\n`);
add("chunk size overflow", `${CHUNKED}fffffffffffffffffffff\r\nabc\r\n0\r\n\r\n`);
add("chunk size 17 digits", `${CHUNKED}10000000000000000\r\nabc\r\n0\r\n\r\n`);
add("chunk size negative", `${CHUNKED}-1\r\nabc\r\n0\r\n\r\n`);
add("chunk size 0x prefix", `${CHUNKED}0x3\r\nabc\r\n0\r\n\r\n`);
add("space before extension", `${CHUNKED}3 ;a=b\r\nabc\r\n0\r\n\r\n`);
add("space after chunk size", `${CHUNKED}3 \r\nabc\r\n0\r\n\r\n`);
add("space inside extension", `${CHUNKED}3; a=b\r\nabc\r\n0\r\n\r\n`);
add("extension with a bad value", `${CHUNKED}3;a=b c\r\nabc\r\n0\r\n\r\n`);
add("extension with NUL", `${CHUNKED}3;a\x00\r\nabc\r\n0\r\n\r\n`);
add("chunk longer than its size", `${CHUNKED}3\r\nabcd\r\n0\r\n\r\n`);
add("chunk data without CRLF", `${CHUNKED}3\r\nabc0\r\n\r\n`);
add("chunk data with bare LF", `${CHUNKED}3\r\nabc\n0\r\n\r\n`);
add("chunk size with bare LF", `${CHUNKED}3\nabc\r\n0\r\n\r\n`);
add("last chunk without the final CRLF", `${CHUNKED}3\r\nabc\r\n0\r\n`);
add("truncated chunk", `${CHUNKED}a\r\nabc`);
add("truncated length body", `${OK}Content-Length: 10\r\n\r\nabc`);
add("bad trailer", `${CHUNKED}3\r\nabc\r\n0\r\nBad Trailer: x\r\n\r\n`);
add("trailer with NUL", `${CHUNKED}3\r\nabc\r\n0\r\nX-T: a\x00b\r\n\r\n`);
add("obs-fold", `${OK}X-A: one\r\n two\r\nContent-Length: 0\r\n\r\n`);
add("obs-fold with tab", `${OK}X-A: one\r\n\ttwo\r\nContent-Length: 0\r\n\r\n`);
add("duplicate length, same value", `${OK}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`);
add(
  "duplicate length, different values",
  `${OK}Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde`,
);
add("length list", `${OK}Content-Length: 3, 3\r\n\r\nabc`);
add("length negative", `${OK}Content-Length: -1\r\n\r\nabc`);
add("length with plus", `${OK}Content-Length: +3\r\n\r\nabc`);
add("length with inner space", `${OK}Content-Length: 1 0\r\n\r\n0123456789`);
add("length empty", `${OK}Content-Length: \r\n\r\nabc`);
add("length hex", `${OK}Content-Length: 0x3\r\n\r\nabc`);
add("length overflow", `${OK}Content-Length: 99999999999999999999999\r\n\r\nabc`);
add(
  "length and chunked",
  `${OK}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
);
add(
  "chunked and length",
  `${OK}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
);
add("TE gzip, chunked", `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add("TE chunked, gzip", `${OK}Transfer-Encoding: chunked, gzip\r\n\r\nabc`);
add("TE gzip", `${OK}Transfer-Encoding: gzip\r\n\r\nabc`);
add(
  "TE chunked twice",
  `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
);
add("TE identity", `${OK}Transfer-Encoding: identity\r\nContent-Length: 3\r\n\r\nabc`);
add("NUL in a value", `${OK}X-A: a\x00b\r\nContent-Length: 0\r\n\r\n`);
add("NUL in a name", `${OK}X-\x00A: b\r\nContent-Length: 0\r\n\r\n`);
add("NUL in the reason", "HTTP/1.1 200 O\x00K\r\nContent-Length: 0\r\n\r\n");
add("bare CR in a value", `${OK}X-A: a\rb\r\nContent-Length: 0\r\n\r\n`);
add("control character in a value", `${OK}X-A: a\x01b\r\nContent-Length: 0\r\n\r\n`);
add("DEL in a value", `${OK}X-A: a\x7fb\r\nContent-Length: 0\r\n\r\n`);
add("overlong head", `${OK}X-Big: ${"a".repeat(70 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
add("300 headers", `${OK}${"X-Many: v\r\n".repeat(300)}Content-Length: 0\r\n\r\n`);
add("head without its blank line", `${OK}Content-Length: 0\r\n`);
add("bare LF line endings", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok");
add("bare LF ending the head", `${OK}Content-Length: 2\r\n\nok`);
add("bare LF after the status line", "HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok");
add("leading space", ` ${OK}Content-Length: 0\r\n\r\n`);
add("leading CRLF", `\r\n${OK}Content-Length: 0\r\n\r\n`);
add("two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n");
add("four-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n");
add("letters for status", "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n");
add("status 600", "HTTP/1.1 600 Odd\r\nContent-Length: 0\r\n\r\n");
add("status 099", "HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n");
add("HTTP/2.0", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n");
add("HTTP/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n");
add("lower-case version", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
add("two spaces after the version", "HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n");
add("tab after the version", "HTTP/1.1\t200 OK\r\nContent-Length: 0\r\n\r\n");
add("space before the colon", `${OK}Content-Length : 3\r\n\r\nabc`);
add("space in a name", `${OK}Bad Name: x\r\nContent-Length: 0\r\n\r\n`);
add("no colon", `${OK}NoColon\r\nContent-Length: 0\r\n\r\n`);
add("empty name", `${OK}: x\r\nContent-Length: 0\r\n\r\n`);
add(
  "101 switching protocols",
  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
);
add("length with trailing whitespace", `${OK}Content-Length: 3 \t\r\n\r\nabc`);
add("TE with trailing whitespace", `${OK}Transfer-Encoding: chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add("chunked, end of stream before any chunk", `${CHUNKED}`);
add("long reason", `HTTP/1.1 200 ${"r".repeat(8000)}\r\nContent-Length: 0\r\n\r\n`);
add(
  "HTTP/1.0 keep-alive with length",
  "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
);
add("chunked, CR without LF after data", `${CHUNKED}3\r\nabc\rX0\r\n\r\n`);
add("304 with chunked", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n");
add("length with a trailing space", `${OK}Content-Length: 3 \r\n\r\nabc`);
add("length with a leading tab", `${OK}Content-Length:\t3\r\n\r\nabc`);
add("TE with a trailing tab", `${OK}Transfer-Encoding: chunked\t\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add("connection close with a tab", `${OK}Connection: close\t\r\nContent-Length: 2\r\n\r\nok`);
add("TE with a trailing space", `${OK}Transfer-Encoding: chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add("TE with a leading tab", `${OK}Transfer-Encoding:\tchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add("TE upper case", `${OK}Transfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n`);
add(
  "TE chunked with a parameter",
  `${OK}Transfer-Encoding: chunked;q=1\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
);
add("empty answer", "");
add("garbage", "garbage\r\n\r\n");

/**
 * Answers llhttp accepts and we refuse, on purpose. Never the other way round.
 */
const STRICTER: Record<string, string> = {
  "TE gzip, chunked":
    "a transfer coding we would have to undo; llhttp passes the gzip bytes on as the body",
  "TE chunked, gzip": "chunked not final: llhttp reads to the connection's end, a smuggling shape",
  "TE gzip": "a transfer coding we would have to undo; llhttp reads to the connection's end",
  "TE chunked twice": "chunked applied twice is not a valid coding list (RFC 9112 §6.1)",
  "NUL in the reason": "NUL is never valid in a head; llhttp lets it through in the reason phrase",
  "leading CRLF":
    "RFC 9112 §2.2 tolerance is for requests; an answer must start with its status line",
  "status 600": "status codes are 100–599 (RFC 9110 §15); llhttp takes any three digits",
  "status 099": "status codes are 100–599 (RFC 9110 §15); llhttp takes any three digits",
  "HTTP/2.0": "an HTTP/1.1 connection answers with HTTP/1.x; llhttp takes any single-digit version",
  "TE with a trailing tab":
    "llhttp does not take `chunked\\t` as chunked and reads the chunks as a body to the connection's end",
  "TE chunked with a parameter":
    "chunked takes no parameters (RFC 9112 §7); refused rather than guessed",
  "300 headers": "we cap a head at 256 fields; llhttp only caps its size",
};

function oracle(cases: Case[]): Map<string, Verdict> {
  const input = JSON.stringify(
    cases.map((c) => ({ name: c.name, method: c.method, bytes: base64(c.bytes) })),
  );
  const run = new Deno.Command("node", {
    args: [new URL("./helpers/llhttp_oracle.mjs", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = run.stdin.getWriter();
  return (async () => {
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    const { stdout, success } = await run.output();
    assert.ok(success, "the llhttp oracle failed");
    const verdicts = JSON.parse(new TextDecoder().decode(stdout)) as (Verdict & { name: string })[];
    return new Map(verdicts.map((v) => [v.name, v]));
  })() as unknown as Map<string, Verdict>;
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

async function ours(chunks: Uint8Array[], method: string): Promise<Verdict> {
  const reader = chunkReader(chunks);
  try {
    const { head, framing } = await readResponseHead(reader, method);
    const body = await responseBody(reader, framing, () => {});
    let bytes = new Uint8Array(0);
    if (body instanceof Uint8Array) bytes = body;
    else if (body !== null) {
      const pieces = await Array.fromAsync(body);
      bytes = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
      let at = 0;
      for (const piece of pieces) {
        bytes.set(piece, at);
        at += piece.byteLength;
      }
    }
    return {
      ok: true,
      status: head.status,
      reason: head.reason,
      headers: head.headers,
      body: base64(bytes),
    };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

Deno.test("h1 differential: every corpus answer, split at every byte, is read as llhttp reads it or refused where listed", async () => {
  assert.ok(corpus.length >= 60, `corpus has ${corpus.length} cases`);
  assert.equal(new Set(corpus.map((c) => c.name)).size, corpus.length, "case names are unique");
  const verdicts = await oracle(corpus);
  const problems: string[] = [];
  const stricter: string[] = [];
  for (const c of corpus) {
    const llhttp = verdicts.get(c.name)!;
    const whole = await ours([c.bytes], c.method);
    for (let split = 0; split <= c.bytes.byteLength; split++) {
      const parts = [c.bytes.subarray(0, split), c.bytes.subarray(split)];
      const verdict = split === c.bytes.byteLength ? whole : await ours(parts, c.method);
      if (
        verdict.ok !== whole.ok || (verdict.ok && JSON.stringify(verdict) !== JSON.stringify(whole))
      ) {
        problems.push(`${c.name}: split at ${split} reads differently from unsplit`);
        break;
      }
    }
    if (!llhttp.ok && whole.ok) {
      problems.push(`${c.name}: llhttp refuses (${llhttp.error}), we accept`);
    } else if (llhttp.ok && !whole.ok) {
      stricter.push(c.name);
      if (!(c.name in STRICTER)) {
        problems.push(`${c.name}: llhttp accepts, we refuse (${whole.error})`);
      }
    } else if (llhttp.ok && whole.ok) {
      const theirs = {
        status: llhttp.status,
        reason: llhttp.reason,
        headers: llhttp.headers,
        body: llhttp.body,
      };
      const mine = {
        status: whole.status,
        reason: whole.reason,
        headers: whole.headers,
        body: whole.body,
      };
      try {
        assert.deepEqual(mine, theirs);
      } catch {
        problems.push(
          `${c.name}: read differently: ours ${JSON.stringify(mine)} llhttp ${
            JSON.stringify(theirs)
          }`,
        );
      }
    }
  }
  for (const name of Object.keys(STRICTER)) {
    if (!stricter.includes(name)) {
      problems.push(`${name}: listed as stricter but is not (any more)`);
    }
  }
  const accepted = corpus.filter((c) => verdicts.get(c.name)!.ok).length;
  console.log(
    `${corpus.length} answers, llhttp accepts ${accepted}; ${stricter.length} refused by us only`,
  );
  assert.deepEqual(problems, []);
});
