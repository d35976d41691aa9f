/**
 * Holds every check (a code lookup, a TOTP check) until each of `n`
 * concurrent attempts is either held at its check or answered: then all are
 * in flight at once, and only those that took a lockout count before their
 * check reach it. Unheld, a fast check is over before the next attempt
 * arrives, and counting after it would pass a test too.
 *
 * Bounded: an attempt that neither answers nor checks releases the gate
 * after `timeoutMs` instead of hanging the test; call `close()` in finally.
 */
export class InFlightGate {
  held = 0;
  #answered = 0;
  readonly #n: number;
  readonly #open = Promise.withResolvers<void>();
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(n: number, timeoutMs = 20_000) {
    this.#n = n;
    this.#timer = setTimeout(() => this.#open.resolve(), timeoutMs);
  }

  /** Wraps a check: it waits at the gate, then runs. */
  hold<A extends unknown[], R>(check: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      this.held++;
      this.#release();
      await this.#open.promise;
      return await check(...args);
    };
  }

  /** Call once an attempt has its answer. */
  answered(): void {
    this.#answered++;
    this.#release();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#open.resolve();
  }

  #release(): void {
    if (this.held + this.#answered === this.#n) this.#open.resolve();
  }
}
