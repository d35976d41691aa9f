import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { type Config, resolveConfig } from "../config/load.ts";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { openAppliance } from "../http/appliance.ts";
import { VERSION } from "../cli/version.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { readBackupHeader } from "./backup_file.ts";
import { restoreBackup } from "./restore.ts";

async function applianceDir(keyHex?: string): Promise<{ dir: string; config: Config }> {
  const dir = await Deno.makeTempDir({ prefix: "securix-upgrade-" });
  const key = keyHex ?? encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
  await Deno.writeTextFile(`${dir}/master.key`, key + "\n", { mode: 0o600 });
  const config = await resolveConfig({
    database: { url: "file:data/securix.db" },
    vault: { master_key: "file:master.key" },
  }, { source: null, baseDir: dir, env: () => undefined });
  await Deno.mkdir(`${dir}/data`);
  return { dir, config };
}

/** The database as an older securix left it: only the first `count` migrations. */
async function olderDatabase(config: Config, count: number): Promise<void> {
  const key = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
  const database = await openDatabase({
    url: config.database.url,
    encryptionKey: encodeHexLowerCase(key),
    create: true,
  });
  await migrate(database.client, MIGRATIONS.slice(0, count), () => 1, "0.0.9");
  database.close();
}

Deno.test("upgrade: pending migrations on a database with data are preceded by a backup", async () => {
  const { dir, config } = await applianceDir();
  const second = await applianceDir(encodeHexLowerCase(config.vault.masterKey));
  try {
    await olderDatabase(config, 6);
    const from = MIGRATIONS[5].name;
    const backups: string[] = [];
    const migrated: string[] = [];
    const appliance = await openAppliance(config, {
      onBackup: (path) => backups.push(path),
      onMigrated: (names) => migrated.push(...names),
    });
    appliance.close();
    assert.equal(backups.length, 1);
    assert.match(
      backups[0],
      new RegExp(`^${dir}/data/backups/pre-migrate-${from}-\\d{8}T\\d{6}Z\\.sxbak$`),
    );
    assert.deepEqual(migrated, MIGRATIONS.slice(6).map((m) => m.name));
    const { header } = await readBackupHeader(backups[0]);
    assert.equal(header.migration, from, "the backup holds the database as it was");

    // Nothing pending any more: no second backup.
    const again: string[] = [];
    (await openAppliance(config, { onBackup: (p) => again.push(p) })).close();
    assert.deepEqual(again, []);

    // The pre-migration backup restores, and restore brings it up to date.
    const lines: string[] = [];
    await restoreBackup({
      file: backups[0],
      config: second.config,
      keyFile: `${second.dir}/master.key`,
      passphrase: null,
      force: false,
      now: Date.now,
      say: (l) => lines.push(l),
      open: (c, onMigrated) => openAppliance(c, { backupBeforeMigrate: false, onMigrated }),
    });
    assert.ok(
      lines.includes(`Migrations: applied ${MIGRATIONS.slice(6).map((m) => m.name).join(", ")}`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(second.dir, { recursive: true });
  }
});

Deno.test("upgrade: a fresh database gets no backup; each migration records the securix version", async () => {
  const { dir, config } = await applianceDir();
  try {
    const backups: string[] = [];
    (await openAppliance(config, { create: true, onBackup: (p) => backups.push(p) })).close();
    assert.deepEqual(backups, []);
    assert.equal(await Deno.stat(`${dir}/data/backups`).catch(() => null), null);
    const key = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
    const database = await openDatabase({
      url: config.database.url,
      encryptionKey: encodeHexLowerCase(key),
    });
    const rows = await database.client.execute(
      "SELECT DISTINCT securix_version FROM securix_migrations",
    );
    database.close();
    assert.deepEqual(rows.rows.map((r) => r.securix_version), [VERSION]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("upgrade: a binary older than the database refuses to start and names the version needed", async () => {
  const { dir, config } = await applianceDir();
  try {
    (await openAppliance(config, { create: true })).close();
    const key = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
    const database = await openDatabase({
      url: config.database.url,
      encryptionKey: encodeHexLowerCase(key),
    });
    await database.client.execute(
      "INSERT INTO securix_migrations (name, checksum, applied_at, securix_version) " +
        "VALUES ('0099_future_feature', 'x', 1, '9.9.9')",
    );
    database.close();
    const backups: string[] = [];
    await assert.rejects(
      openAppliance(config, { onBackup: (p) => backups.push(p) }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "SX-DB-NEWER");
        assert.match(e.message, /has migration 0099_future_feature/);
        assert.match(
          e.message,
          new RegExp(`securix ${VERSION} knows migrations up to ${MIGRATIONS.at(-1)!.name}`),
        );
        assert.match(e.message, /Run securix 9\.9\.9 \(or newer\)/);
        return true;
      },
    );
    assert.deepEqual(backups, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
