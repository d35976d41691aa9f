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
/**
 * Descriptors each serving isolate past the first keeps for itself (the main
 * isolate's are in FD_RESERVE): its listener, its event loop's, its
 * database connection with WAL and journal, its threads' channels.
 */
export const ISOLATE_FD_RESERVE = 32;
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
  if (nofileSoft === null) {
    return Math.max(MIN_DEFAULT_CAP, Math.floor(FALLBACK_MAX_CONNECTIONS / isolates));
  }
  return Math.max(MIN_DEFAULT_CAP, Math.min(CEILING, openFileShare(nofileSoft, isolates)));
}

/** The process's default cap: each of `isolates` isolates' default share, together. */
export function defaultConnectionTotal(nofileSoft: number | null, isolates: number): number {
  return defaultMaxConnections(nofileSoft, isolates) * Math.max(1, isolates);
}

/**
 * The connections `nofile` descriptors carry across `isolates` isolates once
 * the reserves are kept back (what doctor holds a configured total against).
 */
export function openFileTotal(nofile: number, isolates: number): number {
  return Math.max(0, openFileShare(nofile, isolates) * Math.max(1, isolates));
}

/** Each of `isolates` isolates' connections once the reserves are kept back. */
function openFileShare(nofile: number, isolates: number): number {
  const count = Math.max(1, isolates);
  return Math.floor((nofile - FD_RESERVE - (count - 1) * ISOLATE_FD_RESERVE) / 2 / count);
}

/** Fewer connections than this per isolate and the default cap stops protecting the limit. */
const MIN_DEFAULT_CAP = 16;

/**
 * How many of `isolates` serving isolates the open-file limit leaves at least
 * 16 connections each (with a descriptor per upstream and the reserves): on a
 * many-core host with a small limit (`ulimit -n` 1024, 64 cores), 16 each for
 * every core would take more descriptors than the process has.
 */
export function isolatesForOpenFiles(isolates: number, nofileSoft: number | null): number {
  if (nofileSoft === null) return isolates;
  let count = Math.max(1, isolates);
  while (count > 1 && openFileShare(nofileSoft, count) < MIN_DEFAULT_CAP) count--;
  return count;
}

/**
 * The process's connection cap and how many serving isolates share it (one
 * ConnectionBudget counts them together): a configured
 * `server.max_connections`, or each isolate's share of the open-file limit
 * times the isolates it leaves room for. `note` says why fewer isolates
 * serve than wanted, once, for `serve` to log.
 */
export function processConnections(
  configured: number | undefined,
  isolates: number,
  nofileSoft: number | null,
): { isolates: number; total: number; note: string | null } {
  const wanted = Math.max(1, isolates);
  // Each isolate's own descriptors come first, whatever the configured total.
  const count = isolatesForOpenFiles(wanted, nofileSoft);
  return {
    isolates: count,
    total: configured || defaultConnectionTotal(nofileSoft, count),
    note: count < wanted
      ? `Workers: ${count} serving isolate${count === 1 ? "" : "s"} instead of ${wanted}: ` +
        `the open-file limit (${nofileSoft}) leaves fewer than ${MIN_DEFAULT_CAP} connections ` +
        "each for more; raise it (LimitNOFILE, ulimit -n) or set server.workers"
      : null,
  };
}
