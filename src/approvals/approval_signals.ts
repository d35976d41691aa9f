/**
 * In-process wake-ups for requests held open by a `wait` rule: a decision
 * made in this process wakes its waiters at once; decisions made elsewhere
 * (the CLI, another serving process) are seen by the waiters' polling.
 */
export class ApprovalSignals {
  readonly #waiters = new Map<string, Set<() => void>>();

  notify(id: string): void {
    const waiters = this.#waiters.get(id);
    if (!waiters) return;
    this.#waiters.delete(id);
    for (const wake of waiters) wake();
  }

  /** Resolves on `notify(id)`, after `ms`, or when `signal` aborts, whichever is first. */
  sleep(id: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      let waiters = this.#waiters.get(id);
      if (!waiters) this.#waiters.set(id, waiters = new Set());
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        const set = this.#waiters.get(id);
        set?.delete(done);
        if (set?.size === 0) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      waiters.add(done);
    });
  }

  /** Held requests right now (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }
}
