/**
 * The client connections a process may hold open, counted across all its
 * serving isolates in one shared counter: the open-file limit it protects is
 * the process's, and the kernel's SO_REUSEPORT hashing spreads connections
 * unevenly, so a cap per isolate would shed at one isolate while another
 * still has room. Each isolate wraps the same SharedArrayBuffer.
 */
export class ConnectionBudget {
  /** [0]: connections held, [1]: the cap. */
  readonly #cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer);
  }

  static create(max: number): ConnectionBudget {
    const budget = new ConnectionBudget(new SharedArrayBuffer(8));
    budget.max = max;
    return budget;
  }

  get max(): number {
    return Atomics.load(this.#cells, 1);
  }

  set max(value: number) {
    Atomics.store(this.#cells, 1, value);
  }

  /** Connections held now, in every isolate. */
  get held(): number {
    return Atomics.load(this.#cells, 0);
  }

  /** One more connection, if the cap allows it (exact under races: add first, then check). */
  take(): boolean {
    if (Atomics.add(this.#cells, 0, 1) < this.max) return true;
    Atomics.sub(this.#cells, 0, 1);
    return false;
  }

  /**
   * Counts `n` more without asking: what an admitted connection grows into
   * (a bridged WebSocket holds a second pair of descriptors) is not refused.
   */
  add(n: number): void {
    Atomics.add(this.#cells, 0, n);
  }

  release(n = 1): void {
    Atomics.sub(this.#cells, 0, n);
  }
}
