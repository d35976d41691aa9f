import { DEFAULT_MAX_INSPECT_BYTES } from "../config/schema.ts";
import type { SecurityConfig } from "../config/security_schema.ts";
import { newId } from "../db/ids.ts";
import { logSafeError } from "../errors/log_safe.ts";
import type { CallRecord, Outcome } from "../proxy/completion.ts";
import type { Exchange } from "../proxy/exchange.ts";
import { type BodyReader, DONE, type ProxyFilter, type Verdict } from "../proxy/proxy_filter.ts";
import { exchangeBatch } from "../proxy/exchange_batch.ts";
import type { Operation } from "../providers/operation.ts";
import { anomalyErrors } from "./anomaly_errors.ts";
import type { AnomalyStorage } from "./anomaly_storage.ts";
import { type Anomaly, BLOCKED_CLASS, type Detector } from "./anomaly_types.ts";
import type { CountRow } from "./count_share.ts";
import { countSubject } from "./count_subject.ts";
import { unusualHour } from "./hour_profile.ts";
import type { HourProfiles } from "./learn_hours.ts";
import { SlidingWindow } from "./sliding_window.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;

type Counted = "mass_delete" | "exfiltration" | "burst_errors";
const COUNTED: readonly Counted[] = ["mass_delete", "exfiltration", "burst_errors"];

export interface AnomalyEngineDeps {
  /**
   * Where counts, blocks and findings are shared (anomaly_storage.ts). With an
   * embedded file the runtime passes the security thread's, so the serving
   * thread never waits on SQLite for it.
   */
  storage: AnomalyStorage;
  security: SecurityConfig;
  now: () => number;
  /** A finding was written (once, by whichever process tripped it): metrics. */
  onAnomaly?: (detector: Detector, action: "block" | "alert") => void;
  log?: (line: string) => void;
  /** Between recomputations of the learned hours (unusual_hours); default 1 h. */
  learnEveryMs?: number;
  /**
   * The database is refusing writes (the audit writer is backlogged): this
   * engine's periodic writes (shared counts, expired blocks) wait until it is
   * not, so they do not compete with the audit trail catching up; counts stay
   * in memory meanwhile. The blocks in force are still read every tick (a WAL
   * reader never waits on the writer): a block cleared by an admin or tripped
   * by another process applies here on time, backlog or not.
   */
  databaseBusy?: () => boolean;
  /** `[proxy] max_inspect_bytes`: how much of a batch body is read to count its deletes. */
  maxInspectBytes?: number;
}

/**
 * One subject's count for one detector, with the context of its latest call
 * (assigned field by field, no allocation) for the finding it may trip.
 */
class Tally {
  readonly window: SlidingWindow;
  appId = "";
  connectionId = "";
  agentId = "";
  entityId = "";
  provider = "";
  action = "";
  /** burst_errors: no second alert before this time. */
  quietUntil = 0;

  constructor(readonly detector: Counted, readonly subject: string, windowMs: number) {
    this.window = new SlidingWindow(windowMs);
  }
}

/** A block in force, with the refusal built once. */
interface Block {
  anomaly: Anomaly;
  verdict: Verdict;
  /** While its row is being written: settles once it is (or failed). */
  written?: Promise<void>;
}

/** How long a refusal waits for its block's row before answering anyway. */
const WRITE_WAIT_MS = 2_000;

/**
 * The anomaly detectors of one process (or serving isolate). Counting runs
 * on the hot path in memory (`observe`, the proxy's onComplete); every
 * `security.share_ms` the counts are shared through the database, so several
 * processes trip one threshold together, and the blocks in force are read
 * back, so a block tripped or cleared elsewhere applies here within that.
 * `filter` refuses calls on blocked connections before any credential load.
 */
export class AnomalyEngine {
  readonly #deps: AnomalyEngineDeps;
  readonly #security: SecurityConfig;
  readonly #tallies: Record<Counted, Map<string, Tally>> = {
    mass_delete: new Map(),
    exfiltration: new Map(),
    burst_errors: new Map(),
  };
  readonly #dirty = new Set<Tally>();
  /** Blocks in force by connection id: delete-class (mass_delete) and read-class (exfiltration). */
  #deletes = new Map<string, Block>();
  #reads = new Map<string, Block>();
  /** Blocks tripped here whose row is not written yet: a refresh keeps them. */
  readonly #pending = new Set<Block>();
  /** Bumped by every change made here, so a refresh that overlapped one is not applied. */
  #version = 0;
  #profiles: HourProfiles = new Map();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  #ticking = false;
  #sweptAt = 0;
  readonly filter: ProxyFilter;

  constructor(deps: AnomalyEngineDeps) {
    this.#deps = deps;
    this.#security = deps.security;
    this.filter = { name: "anomalies", request: (ex, body) => this.check(ex, body) };
  }

  /** The block in force for a call of `cls` on `connectionId`, if any. */
  blockFor(connectionId: string, cls: string): Anomaly | null {
    const block = cls === "delete"
      ? this.#deletes.get(connectionId)
      : cls === "read"
      ? this.#reads.get(connectionId)
      : undefined;
    return block?.anomaly ?? null;
  }

  /**
   * The block in force on a connection, of either class (a credential release,
   * whose token can make calls of any class out of the proxy's sight, is
   * refused by any). A block tripped here a moment ago is waited for as a
   * refusal waits for it, so the anomaly id given is the one in force.
   */
  async connectionBlock(connectionId: string): Promise<Anomaly | null> {
    for (const blocks of [this.#deletes, this.#reads]) {
      let block = blocks.get(connectionId);
      if (block?.written !== undefined) {
        await this.#untilWritten(block.written);
        block = blocks.get(connectionId) ?? block;
      }
      const anomaly = block === undefined ? null : this.#inForce(block);
      if (anomaly !== null) return anomaly;
    }
    return null;
  }

  /** The filter's request hook: refuses a call of a blocked class on a blocked connection. */
  check(ex: Exchange, body?: BodyReader): Verdict | Promise<Verdict> {
    if (ex.operation.multiplexed === true) {
      // A batch (Google /batch, Graph $batch, GraphQL) may carry the blocked class: refused too.
      const id = ex.caller.connection.id;
      const block = this.#deletes.get(id) ?? this.#reads.get(id);
      if (block !== undefined) return this.#refuse(ex, block);
    }
    // Only batches read their body: every other call stays synchronous and zero-copy.
    const batch = this.#security.mass_delete.enabled && body !== undefined
      ? exchangeBatch(ex, body, this.#deps.maxInspectBytes ?? DEFAULT_MAX_INSPECT_BYTES)
      : undefined;
    if (batch !== undefined) {
      return batch.then((calls): Verdict | Promise<Verdict> => {
        // Its deletes could not be counted: one batch must not carry them past the detector.
        if (!calls) return { action: "deny", error: anomalyErrors.uncountable(), rule: null };
        return this.#checkClass(ex, calls.deletes);
      });
    }
    return this.#checkClass(ex, deletesOf(ex.operation));
  }

  /** A block of the call's class refuses it; else its `deletes` count toward mass_delete. */
  #checkClass(ex: Exchange, deletes: number): Verdict | Promise<Verdict> {
    const cls = ex.operation.class;
    if (cls === "delete" || cls === "read") {
      const id = ex.caller.connection.id;
      const block = cls === "delete" ? this.#deletes.get(id) : this.#reads.get(id);
      if (block !== undefined) return this.#refuse(ex, block);
    }
    return deletes > 0 ? this.#checkDeletes(ex, deletes) : DONE;
  }

  /** `n` more deletes on a connection not blocked yet: past the threshold, this call is refused. */
  #checkDeletes(ex: Exchange, n: number): Verdict | Promise<Verdict> {
    const md = this.#security.mass_delete;
    if (!md.enabled) return DONE;
    const id = ex.caller.connection.id;
    const now = this.#deps.now();
    let tally = this.#tallies.mass_delete.get(id);
    const count = (tally?.window.sum(now) ?? 0) + n;
    if (count <= md.threshold) return DONE;
    if (tally === undefined) {
      tally = new Tally("mass_delete", id, md.window);
      this.#tallies.mass_delete.set(id, tally);
    }
    setContext(tally, ex.caller, ex.operation.id);
    const block = this.#trip(tally, count, now);
    return block === undefined ? DONE : this.#refuse(ex, block);
  }

  #refuse(ex: Exchange, block: Block): Verdict | Promise<Verdict> {
    // A block tripped here a moment ago: its row (and the anomaly id the
    // refusal names) is being written on the security thread. Those few
    // refusals wait for it, so the id they give can be read and cleared at
    // once, and is the one in force if another process tripped first.
    if (block.written !== undefined) return this.#refuseWritten(ex, block, block.written);
    const anomaly = this.#inForce(block);
    if (anomaly === null) return DONE;
    ex.notes.anomaly = anomaly.id;
    return block.verdict;
  }

  /** The block's anomaly while it is in force; an expired one is dropped. */
  #inForce(block: Block): Anomaly | null {
    const expiresAt = block.anomaly.expiresAt;
    if (expiresAt === null || expiresAt > this.#deps.now()) return block.anomaly;
    this.#drop(block.anomaly);
    return null;
  }

  /** Waits, at most WRITE_WAIT_MS, for the row of a block tripped here to be written. */
  async #untilWritten(written: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      written,
      new Promise<void>((resolve) => timer = setTimeout(resolve, WRITE_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  async #refuseWritten(ex: Exchange, block: Block, written: Promise<void>): Promise<Verdict> {
    await this.#untilWritten(written);
    const blocks = block.anomaly.detector === "mass_delete" ? this.#deletes : this.#reads;
    const current = blocks.get(block.anomaly.connectionId!) ?? block;
    if (current.written !== undefined && current.written !== written) {
      return this.#refuseWritten(ex, current, current.written);
    }
    return this.#refuse(ex, { anomaly: current.anomaly, verdict: current.verdict });
  }

  /** The proxy's onComplete: every call of a known caller, refused ones too. Never awaits. */
  observe(call: CallRecord, outcome: Outcome): void {
    const caller = call.caller;
    // Calls this engine refused are not activity the provider saw.
    if (caller === null || outcome.error === "SX-403") return;
    const now = this.#deps.now();
    const operation = call.exchange?.operation ?? call.operation;
    const security = this.#security;
    const connectionId = caller.connection.id;
    // A batch counts every delete it carries, whatever the batch's own class.
    const deletes = call.exchange?.batch != null
      ? call.exchange.batch.deletes
      : deletesOf(operation);
    if (security.mass_delete.enabled && deletes > 0) {
      const tallies = this.#tallies.mass_delete;
      this.#count(
        tallies,
        security.mass_delete,
        "mass_delete",
        connectionId,
        deletes,
        caller,
        operation.id,
        now,
      );
    }
    if (security.exfiltration.enabled && outcome.bytesOut > 0) {
      const tallies = this.#tallies.exfiltration;
      const n = outcome.bytesOut;
      this.#count(
        tallies,
        security.exfiltration,
        "exfiltration",
        connectionId,
        n,
        caller,
        operation.id,
        now,
      );
    }
    if (
      security.burst_errors.enabled && outcome.error === null && outcome.status >= 400 &&
      outcome.status < 500
    ) {
      const subject = `${caller.app.id}/${caller.agentId}`;
      const tallies = this.#tallies.burst_errors;
      this.#count(
        tallies,
        security.burst_errors,
        "burst_errors",
        subject,
        1,
        caller,
        operation.id,
        now,
      );
    }
    if (security.unusual_hours.enabled && this.#profiles.size > 0) {
      this.#hours(caller, operation.id, now);
    }
  }

  // Each detector's map and settings passed in, not looked up by name: this runs per call.
  #count(
    tallies: Map<string, Tally>,
    settings: { threshold: number; window: number },
    detector: Counted,
    subject: string,
    n: number,
    caller: NonNullable<CallRecord["caller"]>,
    action: string,
    now: number,
  ): void {
    let tally = tallies.get(subject);
    if (tally === undefined) {
      tally = new Tally(detector, subject, settings.window);
      tallies.set(subject, tally);
    }
    tally.window.add(now, n);
    setContext(tally, caller, action);
    this.#dirty.add(tally);
    const sum = tally.window.sum(now);
    if (sum > settings.threshold) this.#exceeded(tally, sum, now);
  }

  #exceeded(tally: Tally, count: number, now: number): void {
    if (tally.detector === "burst_errors") {
      // Alert only, once per window.
      if (now < tally.quietUntil) return;
      tally.quietUntil = now + this.#security.burst_errors.window;
      this.#trip(tally, count, now);
      return;
    }
    const blocks = tally.detector === "mass_delete" ? this.#deletes : this.#reads;
    if (!blocks.has(tally.connectionId)) this.#trip(tally, count, now);
  }

  #hours(caller: NonNullable<CallRecord["caller"]>, action: string, now: number): void {
    const c = caller.connection;
    const profile = this.#profiles.get(c.appId)?.get(c.entityId)?.get(c.provider);
    const uh = this.#security.unusual_hours;
    if (!unusualHour(profile, now, uh.min_days)) return;
    const hour = Math.floor(now / HOUR);
    if (profile!.alertedHour === hour) return;
    profile!.alertedHour = hour;
    this.#write(
      {
        ...base(now),
        appId: c.appId,
        connectionId: c.id,
        agentId: caller.agentId,
        entityId: c.entityId,
        provider: c.provider,
        detector: "unusual_hours",
        action,
        count: 1,
        windowMs: uh.history_days * DAY,
        blocked: false,
        status: "alert",
      },
      // Once per clock hour, across processes too.
      now - hour * HOUR + 1,
      null,
    );
  }

  /** Records a finding; a blocking one is in force here at once, before its row is written. */
  #trip(tally: Tally, count: number, now: number): Block | undefined {
    const detector = tally.detector;
    const blocked = BLOCKED_CLASS[detector] !== null;
    const minutes = this.#security.block_minutes;
    const anomaly: Anomaly = {
      ...base(now),
      appId: tally.appId,
      connectionId: tally.connectionId,
      agentId: tally.agentId,
      entityId: tally.entityId,
      provider: tally.provider,
      detector,
      action: tally.action,
      count: Math.round(count),
      windowMs: this.#security[detector].window,
      blocked,
      status: blocked ? "active" : "alert",
      expiresAt: blocked && minutes > 0 ? now + minutes * 60_000 : null,
    };
    let block: Block | undefined;
    if (blocked) {
      block = this.#put(anomaly);
      this.#pending.add(block);
      this.#version++;
    }
    this.#write(anomaly, this.#security[detector].window, block ?? null);
    return block;
  }

  #write(anomaly: Anomaly, dedupeMs: number, block: Block | null): void {
    const written = this.#deps.storage.recordAnomaly(anomaly, dedupeMs).then(
      ({ anomaly: stored, created }) => {
        if (created) this.#deps.onAnomaly?.(anomaly.detector, anomaly.blocked ? "block" : "alert");
        if (!block) return;
        block.written = undefined;
        this.#pending.delete(block);
        // Another process blocked the connection first: its block (and id) is the one in force.
        if (!created && stored.status === "active") this.#put(stored);
        this.#version++;
      },
    ).catch((error) => {
      if (block) {
        block.written = undefined;
        this.#pending.delete(block);
      }
      this.#deps.log?.(`anomalies: cannot record ${anomaly.detector}: ${logSafeError(error)}`);
    });
    if (block) block.written = written;
    this.#track(written);
  }

  #put(anomaly: Anomaly): Block {
    const blocks = anomaly.detector === "mass_delete" ? this.#deletes : this.#reads;
    const current = blocks.get(anomaly.connectionId!);
    if (current?.anomaly.id === anomaly.id) return current;
    const block: Block = {
      anomaly,
      verdict: { action: "deny", error: anomalyErrors.blocked(anomaly), rule: null },
    };
    blocks.set(anomaly.connectionId!, block);
    return block;
  }

  /** A block ended (cleared here, or gone from the database): its counts start afresh. */
  #drop(anomaly: Anomaly): void {
    const blocks = anomaly.detector === "mass_delete" ? this.#deletes : this.#reads;
    const current = blocks.get(anomaly.connectionId ?? "");
    if (current?.anomaly.id === anomaly.id) blocks.delete(anomaly.connectionId!);
    const subject = countSubject(anomaly);
    const tally = subject === null || anomaly.detector === "unusual_hours"
      ? undefined
      : this.#tallies[anomaly.detector].get(subject);
    if (tally) {
      tally.window.reset();
      this.#dirty.delete(tally);
    }
  }

  /** After this process cleared a block (clear_anomaly.ts onCleared): in effect at once. */
  forget(anomaly: Anomaly): void {
    this.#drop(anomaly);
    this.#version++;
  }

  /**
   * Shares the counts, then reads the blocks in force. Timers call it every
   * share_ms. While the database is busy only the reading is done.
   */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      if (!this.#busy()) await this.share();
      await this.refresh();
    } catch (error) {
      this.#deps.log?.(`anomalies: ${logSafeError(error)}`);
    } finally {
      this.#ticking = false;
    }
  }

  /** Adds what this process counted to the database and learns the other processes' counts. */
  async share(): Promise<void> {
    this.#sweep();
    if (this.#dirty.size === 0) return;
    const tallies = [...this.#dirty];
    this.#dirty.clear();
    const deltas: CountRow[] = [];
    for (const t of tallies) {
      t.window.takeDeltas((bucket, count) =>
        deltas.push({ detector: t.detector, subject: t.subject, bucket, count })
      );
    }
    if (deltas.length === 0) return;
    const now = this.#deps.now();
    const longest = this.#longest();
    const totals = await this.#deps.storage.shareCounts(deltas, now - longest, now - 2 * longest);
    const after = this.#deps.now();
    for (const row of totals) {
      this.#tallies[row.detector as Counted]?.get(row.subject)?.window.setTotal(
        row.bucket,
        row.count,
        after,
      );
    }
    for (const t of tallies) {
      const sum = t.window.sum(after);
      if (this.#security[t.detector].enabled && sum > this.#security[t.detector].threshold) {
        this.#exceeded(t, sum, after);
      }
      if (t.window.idle(after)) this.#tallies[t.detector].delete(t.subject);
    }
  }

  /** Forgets subjects with nothing left in their window, once a window, so memory follows activity. */
  #sweep(): void {
    const now = this.#deps.now();
    if (now < this.#sweptAt + this.#longest()) return;
    this.#sweptAt = now;
    for (const detector of COUNTED) {
      for (const [subject, tally] of this.#tallies[detector]) {
        if (tally.window.idle(now)) this.#tallies[detector].delete(subject);
      }
    }
  }

  #longest(): number {
    return Math.max(...COUNTED.map((d) => this.#security[d].window));
  }

  /** Reads the blocks in force: tripped, cleared or expired by any process. */
  async refresh(): Promise<void> {
    const version = this.#version;
    const pending = [...this.#pending];
    const rows = await this.#deps.storage.activeBlocks();
    if (version !== this.#version) return; // A change made here meanwhile: the next tick.
    const now = this.#deps.now();
    const before = [...this.#deletes.values(), ...this.#reads.values()];
    const previous = { deletes: this.#deletes, reads: this.#reads };
    this.#deletes = new Map();
    this.#reads = new Map();
    const expired: string[] = [];
    for (const anomaly of rows) {
      if (anomaly.connectionId === null || BLOCKED_CLASS[anomaly.detector] === null) continue;
      if (anomaly.expiresAt !== null && anomaly.expiresAt <= now) {
        expired.push(anomaly.id);
        continue;
      }
      const old = anomaly.detector === "mass_delete" ? previous.deletes : previous.reads;
      const kept = old.get(anomaly.connectionId);
      const blocks = anomaly.detector === "mass_delete" ? this.#deletes : this.#reads;
      if (kept?.anomaly.id === anomaly.id) blocks.set(anomaly.connectionId, kept);
      else this.#put(anomaly);
    }
    for (const block of pending) {
      const blocks = block.anomaly.detector === "mass_delete" ? this.#deletes : this.#reads;
      if (!blocks.has(block.anomaly.connectionId!)) blocks.set(block.anomaly.connectionId!, block);
    }
    for (const block of before) {
      const a = block.anomaly;
      const blocks = a.detector === "mass_delete" ? this.#deletes : this.#reads;
      if (blocks.get(a.connectionId!)?.anomaly.id !== a.id) this.#drop(a);
    }
    // Not in force here either way; the row is marked by a tick when the database is not busy.
    if (expired.length > 0 && !this.#busy()) await this.#deps.storage.expireBlocks(expired);
  }

  #busy(): boolean {
    return this.#deps.databaseBusy?.() === true;
  }

  /** Recomputes the learned hours from the audit trail (unusual_hours). */
  async learn(): Promise<void> {
    const uh = this.#security.unusual_hours;
    if (!uh.enabled) return;
    const profiles = await this.#deps.storage.learnHours(this.#deps.now(), uh.history_days);
    // The alert of the current hour is not repeated because profiles were relearnt.
    for (const [app, entities] of profiles) {
      for (const [entity, providers] of entities) {
        for (const [provider, profile] of providers) {
          const old = this.#profiles.get(app)?.get(entity)?.get(provider);
          if (old) profile.alertedHour = old.alertedHour;
        }
      }
    }
    this.#profiles = profiles;
  }

  start(): void {
    this.#timers.push(setInterval(() => void this.tick(), this.#security.share_ms));
    if (this.#security.unusual_hours.enabled) {
      const learn = () =>
        this.#track(
          this.learn().catch((error) =>
            this.#deps.log?.(`anomalies: cannot learn active hours: ${logSafeError(error)}`)
          ),
        );
      learn();
      this.#timers.push(setInterval(learn, this.#deps.learnEveryMs ?? HOUR));
    }
    void this.refresh().catch(() => {});
  }

  /** Stops the timers; waits for findings being written and shares the last counts. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers.length = 0;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    if (this.#busy()) return;
    await this.share().catch((error) => this.#deps.log?.(`anomalies: ${logSafeError(error)}`));
  }

  /** Subjects counted now, over all detectors (memory follows activity). */
  subjects(): number {
    return COUNTED.reduce((n, d) => n + this.#tallies[d].size, 0);
  }

  /** Findings being written, for tests and stop(). */
  async settled(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  #track(task: Promise<unknown>): void {
    this.#tasks.add(task);
    void task.finally(() => this.#tasks.delete(task));
  }
}

/** The deletions one call makes: 0 or 1 by its class, or as many as it says (aliased mutations). */
function deletesOf(operation: Operation): number {
  return operation.deletes ?? (operation.class === "delete" ? 1 : 0);
}

function setContext(tally: Tally, caller: NonNullable<CallRecord["caller"]>, action: string) {
  const c = caller.connection;
  tally.appId = c.appId;
  tally.connectionId = c.id;
  tally.agentId = caller.agentId;
  tally.entityId = c.entityId;
  tally.provider = c.provider;
  tally.action = action;
}

function base(now: number) {
  return {
    id: newId("anom"),
    createdAt: now,
    expiresAt: null,
    clearedAt: null,
    clearedBy: null,
  };
}
