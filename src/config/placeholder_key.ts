/**
 * The config with a stand-in for its master key, so everything else can be
 * validated where the key is not readable (doctor, `service`: an env: key not
 * set in this shell, a key file only the service user reads) or not there yet
 * (serve's first start, before it creates the key file).
 */

/** Stands in for the master key while the rest of the config is validated. */
const PLACEHOLDER_ENV = "SECURIX_DOCTOR_PLACEHOLDER_KEY";

export function withPlaceholderKey(
  raw: Record<string, unknown>,
  env: (name: string) => string | undefined,
): { raw: Record<string, unknown>; env: (name: string) => string | undefined } {
  const vault = raw.vault;
  // A [vault] of the wrong shape stays, for the schema to name.
  const replaced = vault === undefined || (typeof vault === "object" && !Array.isArray(vault))
    ? { ...raw, vault: { ...(vault as object), master_key: `env:${PLACEHOLDER_ENV}` } }
    : raw;
  return {
    raw: replaced,
    env: (name) => (name === PLACEHOLDER_ENV ? "0".repeat(64) : env(name)),
  };
}
