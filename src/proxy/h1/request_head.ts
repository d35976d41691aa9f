import { H1Error } from "./byte_reader.ts";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Anything that could end a line or a field: CTLs but HTAB, DEL, and characters beyond one byte. */
// deno-lint-ignore no-control-regex
const UNSAFE_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;
/** A request target of visible ASCII only (URL serialisation percent-encodes the rest). */
const TARGET = /^[\x21-\x7e]+$/;
/** Headers this client writes itself. */
const OWN = new Set(["host", "connection"]);

const utf8 = new TextEncoder();

/**
 * The request head: `METHOD path HTTP/1.1`, Host from the URL, the given
 * header pairs as they are, then `connection: keep-alive`. `extra` is a field
 * the caller's framing needs (`transfer-encoding: chunked` for a body sent
 * without a length). A CR, LF, NUL or other control character anywhere is
 * refused rather than written: the headers are validated upstream, this is
 * the last line of defence against request splitting.
 */
export function requestHead(
  method: string,
  url: URL,
  headers: Iterable<readonly [string, string]>,
  extra: [string, string] | null = null,
): Uint8Array {
  if (!TOKEN.test(method)) throw new H1Error("invalid method");
  const target = url.pathname + url.search;
  if (!TARGET.test(target)) throw new H1Error("invalid request target");
  if (UNSAFE_VALUE.test(url.host) || url.host === "") throw new H1Error("invalid host");
  let head = `${method} ${target} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of headers) {
    if (OWN.has(name.toLowerCase())) continue;
    head += field(name, value);
  }
  if (extra !== null) head += field(extra[0], extra[1]);
  head += "connection: keep-alive\r\n\r\n";
  return encode(head);
}

function field(name: string, value: string): string {
  if (!TOKEN.test(name)) throw new H1Error("invalid header name");
  if (UNSAFE_VALUE.test(value)) throw new H1Error(`control character in the ${name} header`);
  return `${name}: ${value}\r\n`;
}

/** One byte per character (header values are byte strings), ASCII through the native encoder. */
function encode(text: string): Uint8Array {
  if (!/[\x80-\xff]/.test(text)) return utf8.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
