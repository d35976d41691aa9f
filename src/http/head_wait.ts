import { classifyHead } from "./request_head.ts";
import type { Libc } from "./libc.ts";

export type HeadOutcome = "websocket" | "http" | "closed" | "timeout";

const PEEK_BYTES = 16 * 1024;
/** Delays between looks at a connection that has not sent its head yet, in ms. */
const BACKOFF = [1, 2, 5, 10, 25, 50, 100, 250];

/**
 * Shared by every waiting connection: each look (recv, then classify; poll)
 * runs without an await in between, so none sees another's bytes, and an
 * accepted connection costs no 16 KB buffer of its own.
 */
const peekBuf = new Uint8Array(PEEK_BYTES);
const pollfd = new Uint8Array(8);
const pollView = new DataView(pollfd.buffer);

/**
 * Waits, bounded by `timeoutMs`, until the connection on `fd` has sent a
 * whole request head, and says what it is, without consuming a byte
 * (recv with MSG_PEEK): the HTTP server then reads the same bytes. Clients
 * send the head right after connecting, so the first look mostly settles
 * it; a slow or silent client is looked at less and less often.
 */
export async function waitForHead(
  fd: number,
  libc: Libc,
  options: { timeoutMs: number; stopping: () => boolean; now?: () => number },
): Promise<HeadOutcome> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const buf = peekBuf;
  for (let attempt = 0;; attempt++) {
    const n = Number(libc.symbols.recv(fd, buf, BigInt(buf.length), libc.PEEK_NOWAIT));
    if (n === 0) return "closed";
    if (n > 0) {
      const kind = classifyHead(buf.subarray(0, n), n === buf.length);
      if (kind !== "incomplete") return kind;
    }
    // n < 0: nothing yet (EAGAIN), or an error the HTTP server would see too. A peek
    // cannot see a FIN behind unread bytes; poll can, so a client that sent half a
    // head and left does not hold its descriptor until the timeout.
    if (hungUp(fd, libc)) return "closed";
    const left = deadline - now();
    if (left <= 0) return "timeout";
    if (options.stopping()) return "closed";
    const delay = Math.min(BACKOFF[Math.min(attempt, BACKOFF.length - 1)], left);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function hungUp(fd: number, libc: Libc): boolean {
  pollView.setInt32(0, fd, true);
  pollView.setInt16(4, libc.POLL_HANGUP_EVENTS, true);
  pollView.setInt16(6, 0, true);
  if (libc.symbols.poll(pollfd, 1n, 0) <= 0) return false;
  return (pollView.getInt16(6, true) & libc.POLL_HANGUP_REVENTS) !== 0;
}
