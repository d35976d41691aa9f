/**
 * What the first bytes of a connection say, read before the HTTP server
 * takes it: still incomplete, a WebSocket upgrade, or anything else (left to
 * the HTTP server, which also answers malformed or oversized heads).
 */
export type HeadKind = "incomplete" | "websocket" | "http";

const CR = 13;
const LF = 10;
const LATIN1 = new TextDecoder("latin1");

/** `full` means the peek buffer is full: a longer head is the HTTP server's to refuse. */
export function classifyHead(bytes: Uint8Array, full: boolean): HeadKind {
  if (bytes.length === 0) return "incomplete";
  // Methods are upper-case tokens; anything else (TLS, binary) is not ours to sniff.
  if (bytes[0] < 65 || bytes[0] > 90) return "http";
  const end = headEnd(bytes);
  if (end < 0) return full ? "http" : "incomplete";
  const head = LATIN1.decode(bytes.subarray(0, end));
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() !== "upgrade") continue;
    if (/(^|[\s,])websocket($|[\s,])/i.test(line.slice(colon + 1))) return "websocket";
  }
  return "http";
}

/** Index of the blank line that ends the head (CRLF CRLF, or bare LF LF), or -1. */
function headEnd(bytes: Uint8Array): number {
  for (let i = 1; i < bytes.length; i++) {
    if (bytes[i] !== LF) continue;
    if (bytes[i - 1] === LF) return i;
    if (i >= 3 && bytes[i - 1] === CR && bytes[i - 2] === LF) return i;
  }
  return -1;
}
