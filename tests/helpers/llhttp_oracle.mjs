// The differential oracle: how Node's llhttp (the parser behind node:http,
// Node v20 here) reads each response. Runs under `node`, reads a JSON array of
// cases ({ name, method, bytes: base64 }) on stdin and prints one verdict per
// case: { ok, status, reason, headers, body: base64 } or { ok: false, error }.
//
// It drives `_http_common`'s HTTPParser (llhttp through Node's binding) the way
// node:http's client does: strict (no lenient flags), a HEAD answer skips its
// body, 1xx interim answers are skipped, the answer ends at message complete
// or, for a body delimited by the connection's end, at `finish()`.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { HTTPParser } = require("_http_common");

/** Same head limit as our parser (response_head.ts). */
const MAX_HEAD = 64 * 1024;

function verdict({ method, bytes }) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, MAX_HEAD, 0);
  let final = null;
  let done = false;
  // Node's binding hands headers over in batches of 32 before the head is
  // complete (kOnHeaders), and trailers the same way after it.
  let batched = [];
  const body = [];
  parser[HTTPParser.kOnHeadersComplete] = (
    _major,
    _minor,
    headers,
    _method,
    _url,
    status,
    reason,
    _upgrade,
    keepAlive,
  ) => {
    if (done) return 1;
    const all = headers === undefined ? batched : pairs(headers);
    batched = [];
    if (status >= 100 && status < 200) return 0; // interim: llhttp knows it has no body
    final = { status, reason, headers: all, keepAlive: Boolean(keepAlive), trailers: [] };
    return method === "HEAD" ? 1 : 0;
  };
  parser[HTTPParser.kOnHeaders] = (headers) => {
    if (final === null) batched.push(...pairs(headers));
    else final.trailers.push(...pairs(headers));
  };
  parser[HTTPParser.kOnBody] = (chunk) => {
    if (final !== null && !done) body.push(Buffer.from(chunk));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (final !== null) done = true;
  };
  const input = Buffer.from(bytes, "base64");
  let error = parser.execute(input);
  let afterError = null;
  if (error instanceof Error) {
    if (done) afterError = error.code;
    else return { ok: false, error: error.code ?? String(error) };
  }
  if (!done) {
    error = parser.finish();
    if (error instanceof Error) return { ok: false, error: error.code ?? String(error) };
  }
  if (!done || final === null) return { ok: false, error: "incomplete" };
  return {
    ok: true,
    status: final.status,
    reason: final.reason,
    headers: final.headers,
    keepAlive: final.keepAlive,
    trailers: final.trailers,
    body: Buffer.concat(body).toString("base64"),
    afterError,
  };
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  const out = cases.map((c) => {
    try {
      return { name: c.name, ...verdict(c) };
    } catch (error) {
      return { name: c.name, ok: false, error: String(error) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
