import { logSafeError } from "../errors/log_safe.ts";
import { SCHEDULED, scheduledName } from "./backup_name.ts";
import { takeSnapshot } from "./snapshot.ts";

export type Schedule = "hourly" | "daily";

const INTERVAL_MS: Record<Schedule, number> = { hourly: 3_600_000, daily: 86_400_000 };

export type BackupEvent =
  | { kind: "admin.backup.created"; data: { file: string; bytes: number; migration: string } }
  | { kind: "admin.backup.failed"; data: { file: string; error: string } };

export interface BackupScheduleOptions {
  databasePath: string;
  /** `[backup] dir`. */
  dir: string;
  schedule: Schedule;
  /** Scheduled backups kept (pre-migration ones are never pruned). */
  keep: number;
  masterKey: Uint8Array;
  securixVersion: string;
  now: () => number;
  /** Writes the audit record of a run. */
  record: (event: BackupEvent) => Promise<void>;
  /** Time of the newest good backup: at start (from the directory) and after each. */
  onSuccess?: (at: number) => void;
  log: (line: string) => void;
  /** How often to look whether a backup is due; default one minute. */
  checkEveryMs?: number;
}

export type TickOutcome = "taken" | "not-due" | "busy" | "failed";

/** When a scheduled backup was taken, from its name (mtimes change when files are copied). */
export function scheduledAt(name: string): number | null {
  if (!SCHEDULED.test(name)) return null;
  const m = name.match(/^securix-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/)!;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

async function scheduledBackups(dir: string): Promise<{ name: string; at: number }[]> {
  const found: { name: string; at: number }[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const at = entry.isFile ? scheduledAt(entry.name) : null;
      if (at !== null) found.push({ name: entry.name, at });
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return found.sort((a, b) => a.at - b.at || a.name.localeCompare(b.name));
}

/**
 * Backups taken by `serve` itself. Due is measured from the newest backup in
 * the directory, not from the process start, so restarts neither skip nor
 * repeat one. One run at a time; a failure is logged and audited, and the
 * next check tries again.
 */
export class BackupSchedule {
  readonly #options: BackupScheduleOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<TickOutcome> | null = null;
  #seeded = false;

  constructor(options: BackupScheduleOptions) {
    this.#options = options;
  }

  start(): void {
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#options.checkEveryMs ?? 60_000);
    // A pending check must not keep a stopping process alive.
    Deno.unrefTimer(this.#timer);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** Takes a backup if one is due. */
  tick(): Promise<TickOutcome> {
    if (this.#running) return Promise.resolve("busy");
    this.#running = this.#run().finally(() => this.#running = null);
    return this.#running;
  }

  async #run(): Promise<TickOutcome> {
    const o = this.#options;
    const now = o.now();
    let file = `${o.dir}/${scheduledName(now)}`;
    try {
      const existing = await scheduledBackups(o.dir);
      const newest = existing.at(-1);
      if (!this.#seeded && newest) o.onSuccess?.(newest.at);
      this.#seeded = true;
      if (newest && now - newest.at < INTERVAL_MS[o.schedule]) return "not-due";
      await Deno.mkdir(o.dir, { recursive: true, mode: 0o700 });
      if (existing.some((b) => `${o.dir}/${b.name}` === file)) {
        file = file.replace(/\.sxbak$/, "-1.sxbak");
      }
      const result = await takeSnapshot({
        databasePath: o.databasePath,
        masterKey: o.masterKey,
        file,
        securixVersion: o.securixVersion,
        now: () => now,
      });
      await this.#prune();
      o.onSuccess?.(now);
      o.log(`backup: ${file} (${result.bytes} bytes, schema ${result.migration})`);
      await o.record({
        kind: "admin.backup.created",
        data: { file, bytes: result.bytes, migration: result.migration },
      }).catch((error) => o.log(`backup: audit record not written: ${logSafeError(error)}`));
      return "taken";
    } catch (error) {
      const why = logSafeError(error);
      o.log(`backup: FAILED (${file}): ${why}`);
      await o.record({ kind: "admin.backup.failed", data: { file, error: why } })
        .catch((e) => o.log(`backup: audit record not written: ${logSafeError(e)}`));
      return "failed";
    }
  }

  async #prune(): Promise<void> {
    const all = await scheduledBackups(this.#options.dir);
    for (const old of all.slice(0, Math.max(0, all.length - this.#options.keep))) {
      await Deno.remove(`${this.#options.dir}/${old.name}`);
    }
  }
}
