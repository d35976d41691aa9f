import type { SocketReader } from "./socket_reader.ts";

export interface PoolLimits {
  /** Idle connections kept per origin. */
  maxIdlePerOrigin: number;
  /** Idle connections kept across origins; the longest idle goes first. */
  maxIdle: number;
  /** An idle connection is closed after this long (providers drop theirs after ~60 s). */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: PoolLimits = {
  maxIdlePerOrigin: 64,
  maxIdle: 512,
  idleTimeoutMs: 30_000,
};

interface Idle {
  origin: string;
  socket: SocketReader;
  since: number;
}

/**
 * Keep-alive connections per origin (`https://host:port`). A connection comes
 * back only after its answer was read whole (the transport decides); here it
 * waits, watched: closed on idle timeout, on the provider closing it or
 * sending anything unasked, when over a limit, and on `close()`. One sweep
 * timer runs while anything is idle (a timer per parked connection cost
 * measurable CPU per request), unref'd so an idle pool never holds the
 * process open.
 */
export class ConnectionPool {
  #limits: PoolLimits;
  #byOrigin = new Map<string, Idle[]>();
  /** Every idle connection, longest idle first. */
  #all = new Set<Idle>();
  #closed = false;
  #sweep: number | undefined;

  constructor(limits: Partial<PoolLimits> = {}) {
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
  }

  get idleCount(): number {
    return this.#all.size;
  }

  /** The most recently parked connection to `origin` (the warmest), or null. */
  take(origin: string): SocketReader | null {
    const list = this.#byOrigin.get(origin);
    const idle = list?.pop();
    if (idle === undefined) return null;
    // Popped already; its emptied list stays for the release that follows (one
    // connection at a time would otherwise drop and allocate the list per request).
    this.#all.delete(idle);
    idle.socket.wake();
    return idle.socket;
  }

  /** Parks a connection whose answer was read whole. */
  release(origin: string, socket: SocketReader): void {
    if (this.#closed || socket.closed) {
      socket.close();
      return;
    }
    const idle: Idle = { origin, socket, since: performance.now() };
    let list = this.#byOrigin.get(origin);
    if (list === undefined) this.#byOrigin.set(origin, list = []);
    list.push(idle);
    this.#all.add(idle);
    socket.idle(() => this.#drop(idle));
    if (list.length > this.#limits.maxIdlePerOrigin) this.#drop(list[0]);
    if (this.#all.size > this.#limits.maxIdle) this.#drop(this.#all.values().next().value!);
    this.#sweep ??= this.#startSweep();
  }

  /** Closes what idled too long, every quarter of the idle timeout; stops once nothing idles. */
  #startSweep(): number {
    const every = Math.max(10, Math.floor(this.#limits.idleTimeoutMs / 4));
    const timer = setInterval(() => {
      const oldest = performance.now() - this.#limits.idleTimeoutMs;
      // Longest idle first: stop at the first that may stay.
      for (const idle of this.#all) {
        if (idle.since > oldest) break;
        this.#drop(idle);
      }
      if (this.#all.size === 0) {
        clearInterval(this.#sweep);
        this.#sweep = undefined;
      }
    }, every);
    Deno.unrefTimer(Number(timer));
    return Number(timer);
  }

  /** Closes every idle connection; connections in use close when their answer ends. */
  close(): void {
    this.#closed = true;
    for (const idle of [...this.#all]) this.#drop(idle);
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #drop(idle: Idle): void {
    if (!this.#all.has(idle)) return;
    this.#forget(idle);
    idle.socket.close();
  }

  #forget(idle: Idle): void {
    this.#all.delete(idle);
    const list = this.#byOrigin.get(idle.origin);
    if (list === undefined) return;
    const at = list.indexOf(idle);
    if (at !== -1) list.splice(at, 1);
    if (list.length === 0) this.#byOrigin.delete(idle.origin);
  }
}
