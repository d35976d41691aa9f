/**
 * The client connections a process may hold open, counted across all its
 * serving isolates in shared memory: the open-file limit it protects is the
 * process's, and the kernel's SO_REUSEPORT hashing spreads connections
 * unevenly, so a cap per isolate would shed at one isolate while another
 * still has room. A slot is taken by compare-and-swap on one total, so two
 * isolates racing for the last slot admit exactly one. Each isolate also
 * counts in a cell of its own, so what an isolate that crashed or was ended
 * held can be given back (`forget`) instead of shrinking the cap for good.
 */
export class ConnectionBudget {
  /** [0]: the cap; [1]: the total held; [2 + isolate]: what that isolate holds. */
  readonly #cells: Int32Array;
  readonly #own: number;

  constructor(readonly buffer: SharedArrayBuffer, isolate = 0) {
    this.#cells = new Int32Array(buffer);
    this.#own = CELLS + isolate;
    if (this.#own >= this.#cells.length) throw new RangeError(`no cell for isolate ${isolate}`);
  }

  /** A budget of `max` for `isolates` isolates; this one is isolate 0's view. */
  static create(max: number, isolates = 1): ConnectionBudget {
    const budget = new ConnectionBudget(
      new SharedArrayBuffer(4 * (CELLS + Math.max(1, isolates))),
    );
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
    return Atomics.load(this.#cells, TOTAL);
  }

  /**
   * One more connection, if the cap allows it. The total is claimed before
   * the isolate's own cell: an isolate ended between the two loses the
   * process a slot, never admits one past the cap.
   */
  take(): boolean {
    for (;;) {
      const held = Atomics.load(this.#cells, TOTAL);
      if (held >= this.max) return false;
      if (Atomics.compareExchange(this.#cells, TOTAL, held, held + 1) === held) break;
    }
    Atomics.add(this.#cells, this.#own, 1);
    return true;
  }

  /**
   * Counts `n` more without asking: what an admitted connection grows into
   * (a bridged WebSocket holds a second pair of descriptors) is not refused.
   */
  add(n: number): void {
    Atomics.add(this.#cells, TOTAL, n);
    Atomics.add(this.#cells, this.#own, n);
  }

  release(n = 1): void {
    Atomics.sub(this.#cells, this.#own, n);
    Atomics.sub(this.#cells, TOTAL, n);
  }

  /**
   * Gives back all an ended isolate held (its descriptors closed with it).
   * Safe to repeat: a release the isolate made after the first forget left
   * its cell negative, and the next forget corrects the total by as much.
   */
  forget(isolate: number): void {
    if (CELLS + isolate >= this.#cells.length) return;
    const held = Atomics.exchange(this.#cells, CELLS + isolate, 0);
    Atomics.sub(this.#cells, TOTAL, held);
  }
}

const TOTAL = 1;
/** Cells before the first isolate's: the cap and the total. */
const CELLS = 2;
