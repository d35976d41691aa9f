import { EMBEDDED_DATA_DIR, readConfigFile } from "../config/load.ts";
import { parseSecretRef, resolvePath } from "../config/secret_ref.ts";

/**
 * The file the configured master key is read from, or null when it comes
 * from an environment variable: where restore puts a key unwrapped from a
 * backup. Follows the loader: SECURIX_VAULT_MASTER_KEY, else
 * `vault.master_key` in the config file, else the embedded default.
 */
export async function masterKeyFile(options: {
  configPath: string | null;
  cwd: string;
  env: (name: string) => string | undefined;
}): Promise<string | null> {
  const baseDir = options.configPath
    ? options.configPath.slice(0, options.configPath.lastIndexOf("/")) || "/"
    : options.cwd;
  const override = options.env("SECURIX_VAULT_MASTER_KEY");
  let ref: string;
  if (override !== undefined) ref = override;
  else if (options.configPath) {
    const raw = await readConfigFile(options.configPath);
    const vault = raw.vault as Record<string, unknown> | undefined;
    ref = typeof vault?.master_key === "string"
      ? vault.master_key
      : `file:${EMBEDDED_DATA_DIR}/master.key`;
  } else ref = `file:${EMBEDDED_DATA_DIR}/master.key`;
  if (!ref.startsWith("file:")) return null;
  const parsed = parseSecretRef(ref);
  return parsed.kind === "file" ? resolvePath(baseDir, parsed.path) : null;
}
