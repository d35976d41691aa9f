/**
 * Upstream timeouts for every request in flight, on one coarse timer: a
 * `setTimeout` + `clearTimeout` per request cost a few % of the serving
 * thread; one interval every `tickMs` that aborts whatever is overdue costs
 * nothing measurable. The price is precision: a timeout fires between
 * `ms` and `ms + tickMs` after it was armed. The interval is unref'd (it
 * never keeps the process alive) and stops once nothing is in flight.
 */
export class DeadlineWheel {
  readonly #pending = new Set<Deadline>();
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly tickMs = 250,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Calls `expire` once, `ms` (+ up to one tick) from now, unless the returned deadline is cancelled. */
  arm(ms: number, expire: () => void): Deadline {
    const deadline = new Deadline(this.now() + ms, expire, this.#pending);
    this.#pending.add(deadline);
    if (this.#timer === null) {
      const timer = setInterval(() => this.#tick(), this.tickMs);
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
    return deadline;
  }

  /** How many deadlines are armed (for tests). */
  get size(): number {
    return this.#pending.size;
  }

  #tick(): void {
    if (this.#pending.size === 0) {
      clearInterval(this.#timer!);
      this.#timer = null;
      return;
    }
    const now = this.now();
    for (const deadline of this.#pending) {
      if (deadline.at > now) continue;
      this.#pending.delete(deadline);
      deadline.expire();
    }
  }
}

export class Deadline {
  constructor(
    readonly at: number,
    readonly expire: () => void,
    private readonly pending: Set<Deadline>,
  ) {}

  cancel(): void {
    this.pending.delete(this);
  }
}

/** The proxy's wheel: one per isolate. */
export const upstreamDeadlines = new DeadlineWheel();
