/**
 * A database thread's own connection (audit_worker.ts, security_worker.ts):
 * opened with the options the serving thread sent, and replaced by a fresh
 * one after a failure that can leave it unusable.
 */
import { type Database, openDatabase, type OpenOptions } from "./client.ts";

/**
 * Is `error` one a fresh connection helps with? A statement that failed on a
 * locked database can leave the embedded driver's connection inside its
 * transaction ("cannot commit transaction - SQL statements in progress", then
 * "cannot start a transaction within a transaction" on every later one); a
 * closed client answers nothing again. Other failures (a constraint, bad
 * input, a bug) would fail the same way on a new connection.
 */
export function needsFreshConnection(error: unknown): boolean {
  // Drizzle wraps the driver's error (DrizzleQueryError, the driver's as cause).
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^(SQLITE_BUSY|SQLITE_LOCKED|CLIENT_CLOSED)/.test(code)) {
      return true;
    }
    if (/cannot (commit|start a transaction within a) transaction/.test(e.message)) return true;
  }
  return false;
}

export interface WorkerDatabaseOptions<T> {
  /** Names the thread in "the … has no database" (e.g. "audit thread"). */
  name: string;
  /** What the thread's calls get, made once per connection (the connection itself, or ops over it). */
  prepare: (database: Database) => T;
  /** Opens a connection; openDatabase unless a test says otherwise. */
  open?: (options: OpenOptions) => Promise<Database>;
}

/**
 * Calls run on the current connection. One that fails in a way a fresh
 * connection helps with marks it stale; once no call is using it, it is
 * closed and reopened, and calls arriving meanwhile wait for the new one. A
 * reopen that fails is retried by the next call. Every failure still reaches
 * the caller, which answers it as its message protocol says.
 */
export class WorkerDatabase<T> {
  readonly #name: string;
  readonly #prepare: (database: Database) => T;
  readonly #openDatabase: (options: OpenOptions) => Promise<Database>;
  #options: OpenOptions | null = null;
  #current: { database: Database; value: T } | null = null;
  #openError: unknown = null;
  #inFlight = 0;
  #stale = false;
  /** Set while a stale connection still has calls in flight; resolved when its reopen starts. */
  #drained: PromiseWithResolvers<void> | null = null;
  #reopening: Promise<void> | null = null;
  #reopens = 0;

  constructor(options: WorkerDatabaseOptions<T>) {
    this.#name = options.name;
    this.#prepare = options.prepare;
    this.#openDatabase = options.open ?? openDatabase;
  }

  /** The first open, as the serving thread asked; a failure is the caller's to answer. */
  async open(options: OpenOptions): Promise<void> {
    this.#options = options;
    this.#current = await this.#connect();
  }

  /** How many times the connection was replaced (tests, logs). */
  get reopens(): number {
    return this.#reopens;
  }

  async use<R>(fn: (value: T) => Promise<R>): Promise<R> {
    await this.#ready();
    if (!this.#current && this.#options) this.#reopening = this.#reopen();
    await this.#ready();
    const current = this.#current;
    if (!current) {
      if (this.#openError instanceof Error) throw this.#openError;
      throw new Error(`the ${this.#name} has no database yet`);
    }
    this.#inFlight++;
    try {
      return await fn(current.value);
    } catch (error) {
      if (needsFreshConnection(error) && !this.#stale) {
        this.#stale = true;
        this.#drained = Promise.withResolvers<void>();
      }
      throw error;
    } finally {
      if (--this.#inFlight === 0 && this.#stale) {
        this.#stale = false;
        this.#reopening = this.#reopen();
        this.#drained?.resolve();
        this.#drained = null;
      }
    }
  }

  /** Waits out a stale connection's last calls and its reopen: a stuck one would fail every call. */
  async #ready(): Promise<void> {
    for (;;) {
      if (this.#drained) await this.#drained.promise;
      else if (this.#reopening) await this.#reopening;
      else return;
    }
  }

  close(): void {
    this.#options = null;
    this.#closeCurrent();
  }

  async #connect(): Promise<{ database: Database; value: T }> {
    // The serving thread opened (or created) the file; a thread never creates another.
    const database = await this.#openDatabase({ ...this.#options!, create: false });
    try {
      return { database, value: this.#prepare(database) };
    } catch (error) {
      database.close();
      throw error;
    }
  }

  #closeCurrent(): void {
    try {
      this.#current?.database.close();
    } catch {
      // Closing a broken connection may fail; the new one is what matters.
    }
    this.#current = null;
  }

  #reopen(): Promise<void> {
    return (async () => {
      this.#closeCurrent();
      if (!this.#options) return;
      try {
        this.#current = await this.#connect();
        this.#openError = null;
        this.#reopens++;
      } catch (error) {
        // Still unopened: this call answers with why, the next one tries again.
        this.#openError = error;
      }
    })().finally(() => {
      this.#reopening = null;
    });
  }
}
