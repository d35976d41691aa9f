import {
  applyEnvOverrides,
  type Config,
  findConfigPath,
  loadWarnings,
  masterKeyRef,
  OVERRIDE_KEYS,
  readConfigFile,
  resolveConfig,
} from "../config/load.ts";
import { resolvePath } from "../config/secret_ref.ts";
import { withPlaceholderKey } from "../config/placeholder_key.ts";

/**
 * The config without its master key: doctor and `service` look at paths and
 * ports, and must work where the key is not readable (an env: key not set in
 * this shell, a key file only the service user reads).
 */

export interface LoadedFile {
  source: string | null;
  baseDir: string;
  raw: Record<string, unknown>;
}

export function resolveWithoutKey(
  loaded: LoadedFile,
  env: (name: string) => string | undefined,
  /** `<section>.<key>` → the SECURIX_* variable that set it (errors blame the variable). */
  overrides?: ReadonlyMap<string, string>,
): Promise<Config> {
  const stand = withPlaceholderKey(loaded.raw, env);
  return resolveConfig(stand.raw, {
    source: loaded.source,
    baseDir: loaded.baseDir,
    env: stand.env,
    overrides,
  });
}

/**
 * Finds, reads and resolves the config file (`--config`, $SECURIX_CONFIG, ./securix.toml),
 * as the full load does: a bad override is blamed on its variable, and `warnings` names the
 * SECURIX_* variables that are not settings.
 */
export async function loadConfigWithoutKey(options: {
  path: string | null;
  env: (name: string) => string | undefined;
  /** Names of the variables set (the CLI's io.envNames); none when not given. */
  envNames?: () => string[];
  cwd: string;
}): Promise<{ config: Config; keyFile: string | null; warnings: string[] }> {
  const source = await findConfigPath(options);
  const loaded: LoadedFile = { source, baseDir: options.cwd, raw: {} };
  if (source) {
    loaded.raw = await readConfigFile(source);
    loaded.baseDir = source.slice(0, source.lastIndexOf("/")) || "/";
  }
  const warnings = loadWarnings(loaded.raw, options.envNames?.() ?? []);
  const overrides = new Map<string, string>();
  loaded.raw = applyEnvOverrides(loaded.raw, options.env, OVERRIDE_KEYS, overrides);
  const config = await resolveWithoutKey(loaded, options.env, overrides);
  const ref = masterKeyRef(loaded.raw);
  const keyFile = ref.startsWith("file:") ? resolvePath(loaded.baseDir, ref.slice(5)) : null;
  return { config, keyFile, warnings };
}
