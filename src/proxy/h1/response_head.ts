import { type ByteReader, H1Error } from "./byte_reader.ts";

/** Largest response head (status line, headers, blank line). */
export const MAX_HEAD = 64 * 1024;
/** Most header fields in one head (and in one chunked body's trailers). */
export const MAX_HEADERS = 256;
/** Interim answers skipped before the final one: more is a provider looping. */
const MAX_INTERIM = 16;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** RFC 9110 §5.6.2 tchar. */
const TCHAR = (() => {
  const table = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~0123456789") table[c.charCodeAt(0)] = 1;
  for (let c = 65; c <= 90; c++) table[c] = table[c + 32] = 1;
  return table;
})();

/** field-vchar, SP and HTAB (RFC 9110 §5.5): no CTL, no DEL; obs-text allowed. */
function valueByte(b: number): boolean {
  return b === HTAB || (b >= 0x20 && b !== 0x7f);
}

export interface ResponseHead {
  /** HTTP/1.<minor>. */
  minor: 0 | 1;
  status: number;
  reason: string;
  /** As received, in order; values trimmed of surrounding whitespace. */
  headers: [string, string][];
}

/** How the body after a head is delimited. */
export type Framing =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

export interface FinalHead {
  head: ResponseHead;
  framing: Framing;
  /** The connection may carry another request once this answer is read. */
  keepAlive: boolean;
}

/**
 * Reads up to and including the blank line ending a head; the bytes after
 * it go back to `reader`. A bare LF, a head over `limit` or the connection
 * ending first is refused.
 */
export async function readHead(reader: ByteReader, limit = MAX_HEAD): Promise<Uint8Array> {
  const first = await reader.read();
  if (first === null) throw new H1Error("the provider closed the connection before answering");
  let buffer: Uint8Array = first;
  let store: Uint8Array | null = null;
  let scanned = 0;
  for (;;) {
    let lf = buffer.indexOf(LF, scanned);
    while (lf !== -1) {
      if (lf === 0 || buffer[lf - 1] !== CR) throw new H1Error("bare LF in the response head");
      // An empty line: the head ends (at the very start it is an empty status line, refused later).
      if (lf === 1 || (buffer[lf - 2] === LF && buffer[lf - 3] === CR)) {
        const end = lf + 1;
        if (end > limit) break;
        reader.unread(buffer.subarray(end));
        return buffer.subarray(0, end);
      }
      lf = buffer.indexOf(LF, lf + 1);
    }
    if (buffer.byteLength >= limit) throw new H1Error("response head too large");
    scanned = buffer.byteLength;
    const next = await reader.read();
    if (next === null) throw new H1Error("the connection ended inside the response head");
    // Grown by doubling: a provider sending its head a byte at a time costs
    // linear copying, not quadratic.
    const used = buffer.byteLength;
    if (store === null || used + next.byteLength > store.byteLength) {
      const grown = new Uint8Array(Math.max(4096, 2 * (used + next.byteLength)));
      grown.set(buffer);
      store = grown;
    }
    store.set(next, used);
    buffer = store.subarray(0, used + next.byteLength);
  }
}

/** The text of bytes 0–255 one character each (latin1, not windows-1252). */
function latin1(bytes: Uint8Array): string {
  let high = false;
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] >= 0x80) {
      high = true;
      break;
    }
  }
  if (!high) return ascii.decode(bytes);
  let text = "";
  for (let i = 0; i < bytes.byteLength; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
}
const ascii = new TextDecoder();

/**
 * Strict RFC 9112 parse of a head ending in CRLF CRLF: `HTTP/1.1 NNN reason`
 * (or HTTP/1.0), token field names with the colon right after, values of
 * visible characters, SP and HTAB; obs-fold, NUL, CTLs and lone CR refused.
 */
export function parseHead(bytes: Uint8Array, maxHeaders = MAX_HEADERS): ResponseHead {
  const text = latin1(bytes);
  const end = bytes.byteLength - 2; // The blank line's CRLF.
  const eol = lineEnd(bytes, 0, end);
  const status = statusLine(bytes, text, eol);
  const headers = fieldLines(bytes, text, eol + 2, end, maxHeaders);
  return { ...status, headers };
}

/** Index of the CR ending the line that starts at `from`; a lone CR is refused. */
function lineEnd(bytes: Uint8Array, from: number, end: number): number {
  const cr = bytes.indexOf(CR, from);
  if (cr === -1 || cr > end || bytes[cr + 1] !== LF) {
    throw new H1Error("bare CR in the response head");
  }
  return cr;
}

function statusLine(bytes: Uint8Array, text: string, eol: number): Omit<ResponseHead, "headers"> {
  // "HTTP/1.x NNN" then nothing or SP reason.
  if (eol < 12 || !text.startsWith("HTTP/1.") || bytes[8] !== SP) {
    throw new H1Error("malformed status line");
  }
  const minor = bytes[7] === 0x31 ? 1 : bytes[7] === 0x30 ? 0 : -1;
  if (minor === -1) throw new H1Error("unsupported HTTP version");
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = bytes[i] - 0x30;
    if (d < 0 || d > 9) throw new H1Error("malformed status code");
    status = status * 10 + d;
  }
  if (status < 100 || status > 599) throw new H1Error("status code out of range");
  if (eol > 12 && bytes[12] !== SP) throw new H1Error("malformed status line");
  for (let i = 13; i < eol; i++) {
    if (!valueByte(bytes[i])) throw new H1Error("control character in the reason phrase");
  }
  return { minor, status, reason: eol > 12 ? text.slice(13, eol) : "" };
}

function fieldLines(
  bytes: Uint8Array,
  text: string,
  from: number,
  end: number,
  maxHeaders: number,
): [string, string][] {
  const headers: [string, string][] = [];
  let start = from;
  while (start < end) {
    const eol = lineEnd(bytes, start, end);
    if (headers.length === maxHeaders) throw new H1Error("too many header fields");
    const field = fieldLine(bytes, text, start, eol);
    // A tab after a framing value: llhttp refuses the length and does not take
    // `chunked\t` as chunked (it reads to the end instead). Refused, so no
    // parser on the path can frame the body otherwise than we do.
    if (bytes[eol - 1] === HTAB || bytes[eol - 1] === SP) {
      const name = field[0].toLowerCase();
      if (
        (name === "content-length" || name === "transfer-encoding") &&
        /\t[ \t]*$/.test(text.slice(start, eol))
      ) throw new H1Error(`tab after the ${name} value`);
    }
    headers.push(field);
    start = eol + 2;
  }
  return headers;
}

/** One `name: value` line; a line starting with whitespace (obs-fold) is refused. */
export function fieldLine(
  bytes: Uint8Array,
  text: string,
  start: number,
  eol: number,
): [string, string] {
  let i = start;
  while (i < eol && TCHAR[bytes[i]] === 1) i++;
  if (i === start || i === eol || bytes[i] !== COLON) throw new H1Error("malformed header field");
  const name = text.slice(start, i);
  let from = i + 1;
  let to = eol;
  for (let j = from; j < to; j++) {
    if (!valueByte(bytes[j])) throw new H1Error("control character in a header value");
  }
  while (from < to && (bytes[from] === SP || bytes[from] === HTAB)) from++;
  while (to > from && (bytes[to - 1] === SP || bytes[to - 1] === HTAB)) to--;
  return [name, text.slice(from, to)];
}

/**
 * The body's framing (RFC 9112 §6.3), strictly: one Content-Length of digits,
 * or Transfer-Encoding exactly `chunked`, never both; HEAD, 1xx, 204 and 304
 * answers have no body whatever they say.
 */
export function framingOf(
  head: ResponseHead,
  method: string,
): { framing: Framing; keepAlive: boolean } {
  let length = -1;
  let chunked = false;
  let close = head.minor === 0;
  for (const [name, value] of head.headers) {
    switch (name.toLowerCase()) {
      case "content-length":
        if (length !== -1) throw new H1Error("more than one Content-Length");
        if (!/^[0-9]{1,15}$/.test(value)) throw new H1Error("malformed Content-Length");
        length = Number(value);
        break;
      case "transfer-encoding":
        // Codings other than chunked would have to be undone here: refused, not passed on.
        if (chunked) throw new H1Error("more than one Transfer-Encoding");
        if (value.toLowerCase() !== "chunked") throw new H1Error("unsupported Transfer-Encoding");
        chunked = true;
        break;
      case "connection":
        for (const token of value.split(",")) {
          if (token.trim().toLowerCase() === "close") close = true;
        }
    }
  }
  if (chunked && length !== -1) throw new H1Error("both Content-Length and Transfer-Encoding");
  const status = head.status;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) {
    return { framing: { kind: "none" }, keepAlive: !close };
  }
  if (chunked) return { framing: { kind: "chunked" }, keepAlive: !close };
  if (length !== -1) return { framing: { kind: "length", length }, keepAlive: !close };
  return { framing: { kind: "close" }, keepAlive: false };
}

/** The final answer's head, past any 1xx interim answers (101 is refused: never asked for). */
export async function readResponseHead(reader: ByteReader, method: string): Promise<FinalHead> {
  for (let interim = 0; interim <= MAX_INTERIM; interim++) {
    const head = parseHead(await readHead(reader));
    if (head.status === 101) throw new H1Error("unrequested protocol switch");
    const { framing, keepAlive } = framingOf(head, method);
    if (head.status >= 200) return { head, framing, keepAlive };
  }
  throw new H1Error("too many interim answers");
}
