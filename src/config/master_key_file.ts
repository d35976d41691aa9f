import { encodeHexLowerCase } from "@oslojs/encoding";
import { SecurixError } from "../errors/securix_error.ts";
import { shownDatabaseUrl } from "../db/shown_url.ts";

/** Writes a fresh 256-bit master key as 64 hex characters, readable by the owner only. */
export async function writeNewMasterKey(
  path: string,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<void> {
  const hex = encodeHexLowerCase(random(new Uint8Array(32)));
  await Deno.writeTextFile(path, hex + "\n", { mode: 0o600, createNew: true });
  await Deno.chmod(path, 0o600);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * A new master key cannot open a database made with another one: generating
 * it beside an existing database only hides the real problem (a lost key)
 * behind a mismatch error, after telling the operator to back up a useless
 * key. `where` names the key the appliance looked for (a path or a variable).
 */
export async function refuseNewKeyBesideDatabase(
  where: string,
  databaseFile: string | null,
): Promise<void> {
  if (databaseFile === null || !await exists(databaseFile)) return;
  throw new SecurixError(
    "SX-MASTER-KEY-MISSING",
    `The master key (${where}) is missing, but the database ${databaseFile} exists and can only ` +
      "be opened with the key it was created with. No new key was generated. Restore the key " +
      `from your backup (${where}): copy the key file back from wherever you kept it, or, from ` +
      'a backup made with --include-key, run "securix restore BACKUP --force ' +
      '--passphrase-file FILE" (it writes the key, and moves this database aside for the ' +
      `backup's); or, to start fresh without its data, move ${databaseFile} ` +
      "and its -wal and -shm files away.",
  );
}

/**
 * refuseNewKeyBesideDatabase for a libSQL server that holds a vault: its
 * vault keys are wrapped with the lost master key, which every appliance node
 * sharing the server has.
 */
export function newKeyBesideServerVault(where: string, url: string): SecurixError {
  const shown = shownDatabaseUrl(url);
  return new SecurixError(
    "SX-MASTER-KEY-MISSING",
    `The master key (${where}) is missing, but the database at ${shown} already holds a vault, ` +
      "which can only be opened with the key it was created with. No new key was generated. " +
      `Restore the key (${where}): copy it from another appliance node that shares this ` +
      "database, or from wherever you backed it up; or, to start fresh without its data, point " +
      "database.url at an empty database.",
  );
}
