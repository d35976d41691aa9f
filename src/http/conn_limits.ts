/**
 * How many client connections one serving process takes, and for how long
 * it waits on them. Past the cap new connections are shed (a 503 and a
 * close) instead of accepted until the process runs out of descriptors.
 */
export interface ConnLimits {
  /** A connection must send a whole request head within this, in ms. */
  headerTimeoutMs: number;
  /** A keep-alive connection with nothing in flight is closed after this, in ms. */
  idleTimeoutMs: number;
  maxConnections: number;
}

/**
 * Descriptors kept back from client connections: stdio, the runtime's own
 * (epoll, eventfds, the audit thread), the database file with its WAL and
 * journal on two connections, webhook deliveries and the metrics listener.
 */
export const FD_RESERVE = 128;
/** Used when the open-file limit cannot be read. */
export const FALLBACK_MAX_CONNECTIONS = 256;
/** Past this a cap no longer protects anything (and a bigger machine sets its own). */
const CEILING = 16_384;

/**
 * The default cap: half of what is left of the soft open-file limit after
 * the reserve, because a proxied request holds a second descriptor (the
 * upstream socket) while it is in flight. The limit is the process's, so
 * `isolates` serving isolates (`[server] workers`) each get their share.
 */
export function defaultMaxConnections(nofileSoft: number | null, isolates = 1): number {
  if (nofileSoft === null) return Math.max(16, Math.floor(FALLBACK_MAX_CONNECTIONS / isolates));
  const share = Math.floor((nofileSoft - FD_RESERVE) / 2 / Math.max(1, isolates));
  return Math.max(16, Math.min(CEILING, share));
}

/**
 * A configured `server.max_connections` is the process's total, as the
 * open-file limit it is tuned against is: each serving isolate accepts its
 * share, rounded up (at most `isolates - 1` over the total).
 */
export function perIsolateMaxConnections(total: number, isolates: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, isolates)));
}
