import type { Client, InStatement, ResultSet, Transaction, TransactionMode } from "@libsql/client";

/** A FIFO async mutex. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  async acquire(): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((resolve) => release = resolve);
    await previous;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        release();
      }
    };
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

function sqlOf(stmt: InStatement): string {
  return typeof stmt === "string" ? stmt : stmt.sql;
}

const READ = /^\s*(select|with\s[\s\S]*?\bselect\b(?![\s\S]*\b(insert|update|delete)\b))/i;

/**
 * The embedded driver waits for SQLite's write lock synchronously, on the
 * event loop. Two writers in one process would therefore deadlock: the one
 * waiting blocks the loop the lock holder needs to finish. This wraps the
 * client so every write and every transaction of the process queues on one
 * async mutex, while reads run freely (WAL readers never block).
 */
export function serializeWrites(client: Client): Client {
  const lock = new Mutex();
  const execute = (stmt: InStatement, args?: unknown): Promise<ResultSet> => {
    const run = () =>
      args === undefined
        ? client.execute(stmt)
        : (client.execute as (s: string, a: unknown) => Promise<ResultSet>)(stmt as string, args);
    return READ.test(sqlOf(stmt)) ? run() : lock.run(run);
  };
  const transaction = async (mode?: TransactionMode): Promise<Transaction> => {
    const release = await lock.acquire();
    let tx: Transaction;
    try {
      tx = await client.transaction(mode);
    } catch (error) {
      release();
      throw error;
    }
    return new Proxy(tx, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === "commit" || prop === "rollback") {
          return async () => {
            try {
              return await value.call(target);
            } finally {
              release();
            }
          };
        }
        if (prop === "close") {
          return () => {
            try {
              return value.call(target);
            } finally {
              release();
            }
          };
        }
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === "execute") return execute;
      if (prop === "transaction") return transaction;
      if (prop === "batch" || prop === "executeMultiple" || prop === "migrate") {
        const value = Reflect.get(target, prop, receiver) as (...a: unknown[]) => Promise<unknown>;
        return (...a: unknown[]) => lock.run(() => value.apply(target, a));
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
