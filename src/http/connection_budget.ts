/**
 * The client connections a process may hold open, counted across all its
 * serving isolates in shared memory: the open-file limit it protects is the
 * process's, and the kernel's SO_REUSEPORT hashing spreads connections
 * unevenly, so a cap per isolate would shed at one isolate while another
 * still has room. Each isolate wraps the same SharedArrayBuffer with its own
 * index and counts in its own cell, so the cells of an isolate that crashed
 * or was ended can be given back (`forget`) instead of shrinking the cap for good.
 */
export class ConnectionBudget {
  /** [0]: the cap; [1 + isolate]: the connections that isolate holds. */
  readonly #cells: Int32Array;
  readonly #own: number;

  constructor(readonly buffer: SharedArrayBuffer, isolate = 0) {
    this.#cells = new Int32Array(buffer);
    this.#own = 1 + isolate;
    if (this.#own >= this.#cells.length) throw new RangeError(`no cell for isolate ${isolate}`);
  }

  /** A budget of `max` for `isolates` isolates; this one is isolate 0's view. */
  static create(max: number, isolates = 1): ConnectionBudget {
    const budget = new ConnectionBudget(new SharedArrayBuffer(4 * (1 + Math.max(1, isolates))));
    budget.max = max;
    return budget;
  }

  get max(): number {
    return Atomics.load(this.#cells, 0);
  }

  set max(value: number) {
    Atomics.store(this.#cells, 0, value);
  }

  /** Connections held now, in every isolate. */
  get held(): number {
    let sum = 0;
    for (let i = 1; i < this.#cells.length; i++) sum += Atomics.load(this.#cells, i);
    return sum;
  }

  /**
   * One more connection, if the cap allows it. Counted first, then checked:
   * two isolates taking the last slot at once may both give it back (a shed
   * too many, never a connection too many).
   */
  take(): boolean {
    Atomics.add(this.#cells, this.#own, 1);
    if (this.held <= this.max) return true;
    Atomics.sub(this.#cells, this.#own, 1);
    return false;
  }

  /**
   * Counts `n` more without asking: what an admitted connection grows into
   * (a bridged WebSocket holds a second pair of descriptors) is not refused.
   */
  add(n: number): void {
    Atomics.add(this.#cells, this.#own, n);
  }

  release(n = 1): void {
    Atomics.sub(this.#cells, this.#own, n);
  }

  /** Gives back all an ended isolate held (its descriptors closed with it). */
  forget(isolate: number): void {
    if (1 + isolate < this.#cells.length) Atomics.store(this.#cells, 1 + isolate, 0);
  }
}
