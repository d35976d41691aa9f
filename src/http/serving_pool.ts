import type { Config } from "../config/load.ts";
import { logSafeError } from "../errors/log_safe.ts";
import type { FailureCount } from "../flows/attempt_counter.ts";
import type { MetricsSnapshot } from "../metrics/appliance_metrics.ts";
import type { CacheChange } from "./runtime.ts";
import { ConnectionBudget } from "./connection_budget.ts";
import type { FromServingWorker, ToServingWorker } from "./serving_worker.ts";

/** `[server] workers` as a number of serving isolates: "auto" is one per core. */
export function servingIsolates(setting: number | "auto", cores: number): number {
  return setting === "auto" ? Math.max(1, Math.floor(cores) || 1) : setting;
}

/**
 * Whether listeners can share a port (SO_REUSEPORT). Deno 2.9 keeps
 * `reusePort` behind `--unstable-net` (deno.json's `"unstable": ["net"]`
 * sets it); without it the appliance serves on one isolate.
 */
export function canReusePort(hostname: string): boolean {
  try {
    Deno.listen({ hostname, port: 0, reusePort: true }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The serving isolates `serve` runs for `[server] workers` (doctor counts the
 * same): one when listeners cannot share the port on `hostname`.
 */
export function runnableIsolates(
  setting: number | "auto",
  cores: number,
  hostname: string,
  reusable: (hostname: string) => boolean = canReusePort,
): number {
  const isolates = servingIsolates(setting, cores);
  return isolates > 1 && !reusable(hostname) ? 1 : isolates;
}

/**
 * What an isolate that just reported listening is told: what changed while
 * it started and may have reached it before it could keep it (its runtime
 * exists from before it listens, so from here on nothing is dropped): the
 * reloaded rules, the backlog, and the lockouts in force.
 */
export function catchUpMessages(state: {
  rules: Record<string, unknown> | null;
  backlogged: boolean;
  lockouts: ReadonlyArray<{ key: string; until: number }>;
}): ToServingWorker[] {
  const messages: ToServingWorker[] = [];
  if (state.rules) messages.push({ type: "rules", raw: state.rules });
  if (state.backlogged) messages.push({ type: "backlog", backlogged: true });
  for (const { key, until } of state.lockouts) messages.push({ type: "lockOut", key, until });
  return messages;
}

/** What the pool needs to start its isolates and serve them. */
export interface ServingPoolOptions {
  config: Config;
  /**
   * Where the config was loaded from; each isolate loads it again with the
   * process's environment.
   */
  cwd: string;
  port: number;
  /** Serving isolates in all, the main one included: the pool starts the others. */
  isolates: number;
  /** The process's connection cap, counted across every isolate (ConnectionBudget's buffer). */
  budget: SharedArrayBuffer;
  /** A serving isolate's audit batch: a JSON array of `count` events, the first at `oldestAt`. */
  audit: (events: string, count: number, oldestAt: number) => void;
  forget: (change: CacheChange) => void;
  /**
   * Reserves a serving isolate's key check as failed where the lockout is counted
   * (runtime.keyFailed). Required: without it every report would answer
   * "never locked", and the lockout would fail open.
   */
  keyFailed: (address: string) => Promise<FailureCount>;
  /** Gives back what `keyFailed` counted for a check that passed (runtime.keyForgiven). */
  keyForgiven: (address: string, windowStart: number) => void;
  /**
   * The lockouts in force (runtime.activeLockouts): told to each isolate as
   * it reports listening, since one told earlier may have found no runtime.
   */
  activeLockouts: () => Array<{ key: string; until: number }>;
  log: (line: string) => void;
  /** A port to the main isolate's security thread for each isolate (null: each starts one). */
  securityPort?: () => MessagePort | null;
  /** The serving isolate's module (tests start a stand-in). */
  workerUrl?: URL;
}

interface Member {
  worker: Worker;
  index: number;
  started: PromiseWithResolvers<void>;
  stopped: PromiseWithResolvers<void>;
}

/** How long a metrics scrape waits for a serving isolate before leaving it out. */
const SNAPSHOT_TIMEOUT_MS = 2_000;

/**
 * The serving isolates beside the main one (serving_worker.ts). The main
 * isolate keeps the singular work; the pool hands each isolate the config,
 * feeds their audit events to the one writer, sums their metrics into
 * /metrics, passes reloaded rules on and drains them on shutdown.
 */
export class ServingPool {
  readonly #members: Member[] = [];
  readonly #snapshots = new Map<number, (snapshot: MetricsSnapshot) => void>();
  #nextId = 1;
  /** The latest reloaded rules, for an isolate still starting when they came. */
  #rules: Record<string, unknown> | null = null;
  #backlogged = false;
  #stopping: Promise<void> | null = null;
  /** The main isolate's view of the shared budget: gives back an ended isolate's slots. */
  readonly #budget: ConnectionBudget;

  private constructor(private readonly options: ServingPoolOptions) {
    this.#budget = new ConnectionBudget(options.budget);
  }

  /**
   * Starts an isolate for each of `isolates` past the first (numbered 1…; the main one
   * is 0) listening on `port`, and returns at once: reloads, the backlog and
   * lockouts told to the pool while they start reach each as a catch-up when
   * it reports listening.
   */
  static spawn(options: ServingPoolOptions): ServingPool {
    const pool = new ServingPool(options);
    for (let index = 1; index < options.isolates; index++) {
      const security = options.securityPort?.() ?? null;
      pool.#members.push(pool.#spawn(index, security));
    }
    return pool;
  }

  /**
   * Resolves when every isolate listens; rejects, with every one stopped, if
   * any cannot start (or the pool was stopped first).
   */
  async started(): Promise<void> {
    try {
      await Promise.all(this.#members.map((m) => m.started.promise));
    } catch (error) {
      // A stop under way (SIGTERM while starting) keeps its own, longer drain.
      await (this.#stopping ?? this.stop(1_000));
      throw error;
    }
  }

  #spawn(index: number, security: MessagePort | null): Member {
    const { config, cwd, port, budget, isolates } = this.options;
    const url = this.options.workerUrl ?? new URL("./serving_worker.ts", import.meta.url);
    const worker = new Worker(url, { type: "module" });
    const member: Member = {
      worker,
      index,
      started: Promise.withResolvers<void>(),
      stopped: Promise.withResolvers<void>(),
    };
    member.started.promise.catch(() => {});
    worker.onmessage = ({ data }: MessageEvent<FromServingWorker>) => this.#receive(member, data);
    worker.onerror = (event) => {
      event.preventDefault();
      // Its connections died with it: their slots go back to the others.
      this.#budget.forget(index);
      this.options.log(`serving isolate ${index} crashed: ${event.message}`);
      member.started.reject(new Error(`serving isolate ${index} crashed: ${event.message}`));
      member.stopped.resolve();
    };
    this.#post(member, {
      type: "start",
      isolate: index,
      isolates,
      source: config.source,
      cwd,
      databaseUrl: config.database.url,
      port,
      budget,
      security,
    }, security ? [security] : []);
    return member;
  }

  #receive(member: Member, message: FromServingWorker): void {
    switch (message.type) {
      case "listening":
        member.started.resolve();
        for (
          const catchUp of catchUpMessages({
            rules: this.#rules,
            backlogged: this.#backlogged,
            lockouts: this.options.activeLockouts(),
          })
        ) this.#post(member, catchUp);
        return;
      case "failed":
        member.started.reject(
          new Error(`serving isolate ${member.index} did not start: ${message.message}`),
        );
        member.stopped.resolve();
        return;
      case "audit":
        this.options.audit(message.events, message.count, message.oldestAt);
        return;
      case "metrics":
        this.#snapshots.get(message.id)?.(message.snapshot);
        return;
      case "log":
        this.options.log(`[isolate ${member.index}] ${message.line}`);
        return;
      case "forget":
        this.options.forget(message.change);
        this.forget(message.change, member);
        return;
      case "keyFailed":
        this.options.keyFailed(message.address).then(
          (count) => this.#post(member, { type: "keyFailed", id: message.id, count }),
          (error) =>
            this.#post(member, {
              type: "keyFailed",
              id: message.id,
              count: null,
              message: logSafeError(error),
            }),
        );
        return;
      case "keyForgiven":
        this.options.keyForgiven(message.address, message.windowStart);
        return;
      case "stopped":
        // A stop while it started (SIGTERM during start-up): `started()` must not wait forever.
        member.started.reject(new Error(`serving isolate ${member.index} stopped while starting`));
        member.stopped.resolve();
        return;
    }
  }

  #post(member: Member, message: ToServingWorker, transfer: Transferable[] = []): void {
    member.worker.postMessage(message, transfer);
  }

  /** Every isolate's metrics; one that does not answer in time is left out of this scrape. */
  snapshots(): Promise<MetricsSnapshot[]> {
    return Promise.all(this.#members.map((member) =>
      new Promise<MetricsSnapshot>((resolve) => {
        const id = this.#nextId++;
        const timer = setTimeout(() => done([]), SNAPSHOT_TIMEOUT_MS);
        const done = (snapshot: MetricsSnapshot) => {
          clearTimeout(timer);
          this.#snapshots.delete(id);
          resolve(snapshot);
        };
        this.#snapshots.set(id, done);
        this.#post(member, { type: "metrics", id });
      })
    ));
  }

  /**
   * Tells every serving isolate but `from` to drop what `change` makes stale,
   * so a pause or revoke made through one isolate holds in all at once.
   */
  forget(change: CacheChange, from?: Member): void {
    for (const member of this.#members) {
      if (member !== from) this.#post(member, { type: "forget", change });
    }
  }

  /**
   * Tells every serving isolate that an address (its lockout key) is locked
   * out until `until`: from its next request on, each refuses it without asking.
   */
  lockOut(key: string, until: number): void {
    for (const member of this.#members) this.#post(member, { type: "lockOut", key, until });
  }

  /** Tells every serving isolate whether the one audit writer is backlogged (on a change). */
  auditBacklogged(backlogged: boolean): void {
    if (backlogged === this.#backlogged) return;
    this.#backlogged = backlogged;
    for (const member of this.#members) this.#post(member, { type: "backlog", backlogged });
  }

  /** Puts rules a reload validated in force in every isolate. */
  applyRules(raw: Record<string, unknown>): void {
    this.#rules = raw;
    for (const member of this.#members) this.#post(member, { type: "rules", raw });
  }

  /**
   * Stops every isolate: each stops accepting, drains its requests and hands
   * over its last audit events; one not done within `timeoutMs` is ended.
   */
  stop(timeoutMs: number): Promise<void> {
    this.#stopping ??= this.#stop(timeoutMs);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    for (const member of this.#members) this.#post(member, { type: "stop" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
    await Promise.race([Promise.all(this.#members.map((m) => m.stopped.promise)), timeout]);
    clearTimeout(timer);
    const budget = this.#budget;
    for (const member of this.#members) {
      member.worker.terminate();
      // One ended mid-drain held slots nobody will give back; terminate() returns before the
      // thread has stopped, so its cell is cleared again once it surely has.
      budget.forget(member.index);
      const late = setTimeout(() => budget.forget(member.index), 1_000);
      Deno.unrefTimer(late);
      // Ended before it said a word: `started()` must not wait for it (a no-op once settled).
      member.started.reject(new Error(`serving isolate ${member.index} stopped while starting`));
      member.stopped.resolve();
    }
  }
}
