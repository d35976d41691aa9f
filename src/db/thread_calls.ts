import type { Database, OpenOptions } from "./client.ts";

/** What a database thread answers (audit_worker.ts, security_worker.ts): id 0 is the open. */
export type ThreadAnswer =
  | { type: "opened" }
  | { type: "done"; id: number; result?: unknown }
  | { type: "failed"; id: number | null; message: string };

interface Waiting {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * The calls in flight to a worker thread that owns a database connection:
 * each message carries an id, the thread answers it once (`settle`); a
 * thread that crashed or was closed rejects every waiting and later call
 * (`fail`). Ids start at 1; 0 is the thread's opening.
 */
export class ThreadCalls {
  readonly #waiting = new Map<number, Waiting>();
  readonly #name: string;
  #next = 1;
  #broken: Error | null = null;

  constructor(name: string) {
    this.#name = name;
  }

  nextId(): number {
    return this.#next++;
  }

  /** Posts through `post` and waits for the answer to `id`; `timeoutMs` bounds the wait. */
  send(id: number, post: () => void, timeoutMs?: number): Promise<unknown> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.#waiting.delete(id);
          reject(new Error(`the ${this.#name} did not answer within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        Deno.unrefTimer(timer);
      }
      this.#waiting.set(id, { resolve, reject, timer });
      post();
    });
  }

  settle(answer: ThreadAnswer): void {
    const id = answer.type === "opened" ? 0 : answer.id ?? 0;
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    if (waiting.timer !== null) clearTimeout(waiting.timer);
    if (answer.type === "failed") waiting.reject(new Error(answer.message));
    else waiting.resolve(answer.type === "done" ? answer.result : undefined);
  }

  fail(error: Error): void {
    this.#broken ??= error;
    for (const waiting of this.#waiting.values()) {
      if (waiting.timer !== null) clearTimeout(waiting.timer);
      waiting.reject(error);
    }
    this.#waiting.clear();
  }
}

/**
 * What a database thread opens: the same embedded file and key, or null for
 * a database no thread can share (a libSQL server is asynchronous already;
 * an in-memory one exists only on this thread).
 */
export function threadOpenOptions(database: Database): OpenOptions | null {
  const { url, encryptionKey } = database.openOptions;
  if (!url.startsWith("file:") || url.includes(":memory:")) return null;
  return { url, encryptionKey };
}
