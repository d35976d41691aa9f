import type { Anomaly } from "../anomalies/anomaly_types.ts";
import type { Approval } from "../approvals/approval_types.ts";
import type { Actor } from "../audit/actor.ts";
import type { Connection } from "../connections/connection_types.ts";
import type { Database } from "../db/client.ts";
import type { VaultStore } from "../vault/store.ts";

/**
 * What a serving process must drop once a change is committed. The CLI runs
 * in its own process and passes none: serving processes see its changes when
 * their short cache TTLs run out.
 */
export interface AfterCommit {
  /** A connection was paused, resumed or revoked: its cached credential and callers go. */
  connectionChanged?: (connection: Connection) => void;
  /** Agents were added or removed: the proxy's agent cache goes. */
  agentsChanged?: () => void;
  /** An app's keys, name or origins changed: its cached keys are read again. */
  appChanged?: (appId: string) => void;
  /** An anomaly block was cleared: this process's block set lets the connection through at once. */
  anomalyCleared?: (anomaly: Anomaly) => void;
  /** An approval was decided: requests held open for it in this process wake up. */
  approvalDecided?: (approval: Approval) => void;
}

/**
 * What every admin command gets: the stores, the clock, who acts (the audit
 * record's actor: `cli`, `api:<keyId>`, `admin:<name>`, later `portal:<entity>`)
 * and the after-commit hooks of the process it runs in.
 */
export interface CommandContext {
  database: Database;
  vault: VaultStore;
  now: () => number;
  by: Actor;
  after: AfterCommit;
}

/** A process's command context for one actor (the caller of an API request, a signed-in admin). */
export type CommandsFor = (by: Actor) => CommandContext;
