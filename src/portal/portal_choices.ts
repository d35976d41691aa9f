import type { Database } from "../db/client.ts";
import { logSafeError } from "../errors/log_safe.ts";
import type { EntityChoices } from "../rules/entity_choices.ts";
import { type Choice, listChoices } from "./portal_choice_store.ts";

/**
 * Every entity's Trust Portal choices, in memory for the proxy's hot path
 * (one Map lookup per call). Reloaded right after a change made in this
 * process, and every `refreshMs` for changes other processes made.
 */
export class PortalChoices {
  readonly #database: Database;
  readonly #refreshMs: number;
  readonly #log: (line: string) => void;
  #byEntity = new Map<string, EntityChoices>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #loading: Promise<void> | null = null;

  constructor(deps: { database: Database; refreshMs?: number; log?: (line: string) => void }) {
    this.#database = deps.database;
    this.#refreshMs = deps.refreshMs ?? 1_000;
    this.#log = deps.log ?? (() => {});
  }

  /** The entity's choices; null when it made none. */
  readonly lookup = (appId: string, entityId: string): EntityChoices | null =>
    this.#byEntity.size === 0 ? null : this.#byEntity.get(`${appId}\u0000${entityId}`) ?? null;

  /** Reads every choice again (a small table: one row per switch or hidden item). */
  refresh(): Promise<void> {
    // One read at a time; a change made during a read gets a read of its own.
    const run = async () => {
      try {
        this.#byEntity = group(await listChoices(this.#database.db));
      } catch (error) {
        this.#log(`portal: cannot read choices: ${logSafeError(error)}`);
      }
    };
    const next = (this.#loading ?? Promise.resolve()).then(run);
    this.#loading = next;
    return next;
  }

  start(): void {
    void this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#refreshMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

function group(rows: readonly Choice[]): Map<string, EntityChoices> {
  const byKey = new Map<string, { scopesOff: Set<string>; labels: string[]; folders: string[] }>();
  for (const row of rows) {
    const key = `${row.appId}\u0000${row.entityId}`;
    let entry = byKey.get(key);
    if (!entry) byKey.set(key, entry = { scopesOff: new Set(), labels: [], folders: [] });
    if (row.kind === "scope_off") entry.scopesOff.add(row.value);
    else if (row.kind === "hide_label") entry.labels.push(row.value);
    else if (row.kind === "hide_folder") entry.folders.push(row.value);
  }
  return byKey;
}
