import { encodeHexLowerCase } from "@oslojs/encoding";
import { stringify as toToml } from "smol-toml";
import { type Config, loadConfig, resolveConfig } from "../../src/config/load.ts";
import { type Database, openDatabase } from "../../src/db/client.ts";
import { type Appliance, openAppliance } from "../../src/http/appliance.ts";
import { deriveSubkey, LABELS } from "../../src/vault/derive.ts";

export interface TempAppliance {
  appliance: Appliance;
  /** The temp directory: securix.toml, master.key and the securix.db file(s). */
  dir: string;
  /** `dir/securix.toml`, so the real CLI (`--config` or cwd) opens the same appliance. */
  configPath: string;
  masterKeyHex: string;
  /** Closes the appliance and removes the directory. */
  cleanup: () => Promise<void>;
}

export interface TempApplianceOptions {
  /** More config as the operator writes it (e.g. `{ providers: { … } }`). */
  raw?: Record<string, unknown>;
  now?: () => number;
  /** Environment seen by config resolution (env: secret references). */
  env?: Record<string, string>;
  /** Master key to use (64 hex chars); random by default. */
  masterKeyHex?: string;
  /** Reuse a directory, e.g. to reopen a database with another key. */
  dir?: string;
}

/**
 * A real appliance on a fresh encrypted libSQL file in a temp directory,
 * configured through the same schema and loader operators use. The config is
 * also written to `securix.toml` for tests that run the CLI against it.
 */
export async function openTempAppliance(
  options: TempApplianceOptions = {},
): Promise<TempAppliance> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "securix-test-" });
  const masterKeyHex = options.masterKeyHex ??
    encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeTextFile(`${dir}/master.key`, masterKeyHex + "\n", { mode: 0o600 });
  const raw = {
    ...options.raw,
    database: { url: "file:securix.db", ...(options.raw?.database as object) },
    vault: { master_key: "file:master.key" },
  };
  const configPath = `${dir}/securix.toml`;
  await Deno.writeTextFile(configPath, toToml(raw));
  const env = options.env ?? {};
  const config = await resolveConfig(raw, {
    source: configPath,
    baseDir: dir,
    env: (name) => env[name],
  });
  const appliance = await openAppliance(config, { now: options.now, create: true });
  return {
    appliance,
    dir,
    configPath,
    masterKeyHex,
    cleanup: async () => {
      appliance.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * A second, independent connection to the same database, as another
 * appliance process would open it. Caution: within one process, do not let
 * two connections write at the same moment (the embedded driver waits for
 * SQLite's lock on the event loop); for real concurrency use a subprocess.
 */
export async function openSecondDatabase(config: Config): Promise<Database> {
  const fileKey = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
  return await openDatabase({
    url: config.database.url,
    authToken: config.database.authToken,
    encryptionKey: encodeHexLowerCase(fileKey),
  });
}

/**
 * Creates and migrates the database of the config found from `dir` (its
 * securix.toml, or the embedded defaults), as `serve` does on its first start:
 * other CLI commands never create one.
 */
export async function createDatabaseIn(
  dir: string,
  env: Record<string, string> = {},
): Promise<void> {
  const { config } = await loadConfig({ cwd: dir, env: (name) => env[name], create: true });
  const appliance = await openAppliance(config, { create: true });
  appliance.close();
}
