/**
 * Whether a start may generate the master key file the config names and
 * that does not exist. A new key opens nothing made with the old one, so it
 * is made only where there is no vault yet (a fresh install), whatever
 * holds the database: an embedded file that does not exist, or a libSQL
 * server that holds no vault keys. A lost key is never replaced.
 */

/** What is known of the database the config names. */
export type DatabaseFacts =
  | { kind: "file"; exists: boolean }
  /** `holdsVault`: null when it was not asked (a command that creates nothing). */
  | { kind: "server"; holdsVault: boolean | null };

export type NewKeyDecision =
  /** A fresh install: write the key. */
  | "create"
  /** The database holds data only the lost key opens: SX-MASTER-KEY-MISSING. */
  | "refuse"
  /** No config file and no key, and not serve: SX-NO-APPLIANCE. */
  | "no-appliance"
  /** Not this command's to create: the config's validation names the missing file. */
  | "leave";

export function newMasterKeyDecision(facts: {
  /** `serve`: the only command that creates a key on a start. */
  create: boolean;
  /** A securix.toml was found (false: the embedded defaults). */
  configFile: boolean;
  database: DatabaseFacts;
}): NewKeyDecision {
  const { database } = facts;
  const holdsData = database.kind === "file" ? database.exists : database.holdsVault === true;
  if (!facts.create) {
    if (facts.configFile) return "leave";
    return holdsData ? "refuse" : "no-appliance";
  }
  if (holdsData) return "refuse";
  // A server not asked cannot be told apart from one holding a vault: nothing is made.
  return database.kind === "server" && database.holdsVault === null ? "leave" : "create";
}
