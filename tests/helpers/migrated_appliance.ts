import { encodeHexLowerCase } from "@oslojs/encoding";
import { stringify as toToml } from "smol-toml";
import { loadConfig } from "../../src/config/load.ts";
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { type Migration, MIGRATIONS } from "../../src/db/migrations.ts";
import { deriveSubkey, LABELS } from "../../src/vault/derive.ts";

/**
 * `dir/securix.toml`, its master key file and a real encrypted database that
 * `migrations` built (all of them unless told), recorded as `version`'s, with
 * the config and the database key. Open: the caller closes it.
 */
export async function migratedAppliance(
  dir: string,
  migrations: readonly Migration[] = MIGRATIONS,
  version = "0.1.0",
) {
  const keyHex = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeTextFile(`${dir}/master.key`, keyHex + "\n", { mode: 0o600 });
  await Deno.writeTextFile(
    `${dir}/securix.toml`,
    toToml({ database: { url: "file:securix.db" }, vault: { master_key: "file:master.key" } }),
  );
  const { config } = await loadConfig({ path: `${dir}/securix.toml`, env: () => undefined });
  const encryptionKey = encodeHexLowerCase(
    await deriveSubkey(config.vault.masterKey, LABELS.databaseFile),
  );
  const database = await openDatabase({ url: config.database.url, encryptionKey, create: true });
  await migrate(database.client, migrations, Date.now, version);
  return { database, config, encryptionKey };
}
