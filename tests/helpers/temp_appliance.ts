import { encodeHexLowerCase } from "@oslojs/encoding";
import { resolveConfig } from "../../src/config/load.ts";
import { type Appliance, openAppliance } from "../../src/http/appliance.ts";

export interface TempAppliance {
  appliance: Appliance;
  dir: string;
  masterKeyHex: string;
  cleanup: () => Promise<void>;
}

/**
 * A real appliance on a fresh encrypted libSQL file in a temp directory.
 * `toml` adds config (e.g. providers); `now` injects a clock.
 */
export async function openTempAppliance(
  options: {
    raw?: Record<string, unknown>;
    now?: () => number;
    env?: Record<string, string>;
    masterKeyHex?: string;
    dir?: string;
  } = {},
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
  const env = options.env ?? {};
  const config = await resolveConfig(raw, { source: null, baseDir: dir, env: (n) => env[n] });
  const appliance = await openAppliance(config, { now: options.now });
  return {
    appliance,
    dir,
    masterKeyHex,
    cleanup: async () => {
      appliance.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
