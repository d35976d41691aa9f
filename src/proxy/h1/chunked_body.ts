import { joinBytes } from "../join_bytes.ts";
import { type ByteReader, H1Error } from "./byte_reader.ts";
import { fieldLine, MAX_HEAD, MAX_HEADERS } from "./response_head.ts";

/** Longest chunk-size line, extensions included. */
const MAX_SIZE_LINE = 4096;
/** Most hex digits of a chunk size: 2^53 bytes is beyond any answer. */
const MAX_SIZE_DIGITS = 13;

const CR = 13;
const LF = 10;

/** Reads one CRLF-ended line (returned without it); a bare LF or CR, or a line over `limit`, is refused. */
export async function readLine(reader: ByteReader, limit: number): Promise<Uint8Array> {
  // Pieces joined once the LF is in: a line sent a byte at a time is not copied over and over.
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk === null) throw new H1Error("the connection ended inside the chunked body");
    const lf = chunk.indexOf(LF);
    const take = lf === -1 ? chunk : chunk.subarray(0, lf + 1);
    if (lf !== -1) reader.unread(chunk.subarray(lf + 1));
    size += take.byteLength;
    if (size > limit + 2) throw new H1Error("chunked line too long");
    parts.push(take);
    if (lf === -1) continue;
    const line = parts.length === 1 ? take : joinBytes(parts);
    const end = line.byteLength - 1;
    if (end === 0 || line[end - 1] !== CR) throw new H1Error("bare LF in the chunked body");
    const text = line.subarray(0, end - 1);
    if (text.indexOf(CR) !== -1) throw new H1Error("bare CR in the chunked body");
    return text;
  }
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const QUOTED = /^"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"$/;

/**
 * The size of a chunk from its line: 1–13 hex digits, then extensions
 * (`;name` or `;name=token` or `;name="quoted"`, RFC 9112 §7.1.1), tolerated
 * and ignored. No whitespace anywhere, as llhttp without its lenient flags.
 */
export function chunkSize(line: Uint8Array): number {
  let digits = 0;
  while (digits < line.byteLength && isHex(line[digits])) digits++;
  if (digits === 0) throw new H1Error("malformed chunk size");
  if (digits > MAX_SIZE_DIGITS) throw new H1Error("chunk size too large");
  const text = String.fromCharCode(...line);
  const size = parseInt(text.slice(0, digits), 16);
  if (digits < line.byteLength) {
    if (line[digits] !== 0x3b) throw new H1Error("malformed chunk size");
    for (const extension of splitExtensions(text.slice(digits + 1))) {
      const eq = extension.indexOf("=");
      const name = eq === -1 ? extension : extension.slice(0, eq);
      const value = eq === -1 ? null : extension.slice(eq + 1);
      if (!TCHAR.test(name) || (value !== null && !TCHAR.test(value) && !QUOTED.test(value))) {
        throw new H1Error("malformed chunk extension");
      }
    }
  }
  return size;
}

/** Splits at `;` outside quoted strings. */
function splitExtensions(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ";" && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function isHex(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/**
 * A chunked body, decoded as the reader delivers it: `next` gives the data
 * pieces (views of the socket's buffers, never copied) and null after the
 * last chunk and its trailers, which are checked and dropped.
 */
export class ChunkedDecoder {
  #reader: ByteReader;
  #remaining = 0;
  #state: "size" | "data" | "crlf" | "done" = "size";

  constructor(reader: ByteReader) {
    this.#reader = reader;
  }

  async next(): Promise<Uint8Array | null> {
    for (;;) {
      switch (this.#state) {
        case "done":
          return null;
        case "size": {
          const size = chunkSize(await readLine(this.#reader, MAX_SIZE_LINE));
          if (size === 0) {
            await this.#trailers();
            this.#state = "done";
            return null;
          }
          this.#remaining = size;
          this.#state = "data";
          break;
        }
        case "data": {
          const chunk = await this.#reader.read();
          if (chunk === null) throw new H1Error("the connection ended inside a chunk");
          let piece = chunk;
          if (chunk.byteLength > this.#remaining) {
            piece = chunk.subarray(0, this.#remaining);
            this.#reader.unread(chunk.subarray(this.#remaining));
          }
          this.#remaining -= piece.byteLength;
          if (this.#remaining === 0) this.#state = "crlf";
          return piece;
        }
        case "crlf": {
          const line = await readLine(this.#reader, 0);
          if (line.byteLength !== 0) throw new H1Error("chunk data longer than its size");
          this.#state = "size";
        }
      }
    }
  }

  /** Trailer fields: read to the blank line, checked like header fields, dropped. */
  async #trailers(): Promise<void> {
    let bytes = 0;
    for (let count = 0;; count++) {
      const line = await readLine(this.#reader, MAX_HEAD);
      if (line.byteLength === 0) return;
      bytes += line.byteLength + 2;
      if (bytes > MAX_HEAD || count === MAX_HEADERS) throw new H1Error("trailers too large");
      fieldLine(line, String.fromCharCode(...line), 0, line.byteLength);
    }
  }
}
