import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { type Config, resolveConfig } from "../config/load.ts";
import { openAppliance } from "../http/appliance.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { seedApp } from "../../tests/helpers/seed.ts";
import { restoreBackup, type RestoreOptions } from "./restore.ts";
import { takeSnapshot } from "./snapshot.ts";
import { MIGRATIONS } from "../db/migrations.ts";

/** The newest migration: what a backup of a current database names. */
const SCHEMA = MIGRATIONS.at(-1)!.name;

const FAST = { n: 2 ** 12, r: 8, p: 1 };
const PASSPHRASE = "correct horse battery staple";

/** A source appliance with one app and a backup of it (optionally with the key). */
async function sourceBackup(includeKey: boolean) {
  const temp = await openTempAppliance();
  const { app } = await seedApp(temp.appliance, { name: "restored-app" });
  await temp.appliance.vault.put("secret-1", "token", "vault-value-1");
  const file = `${temp.dir}/b.sxbak`;
  await takeSnapshot({
    databasePath: temp.appliance.config.database.filePath!,
    masterKey: temp.appliance.config.vault.masterKey,
    file,
    securixVersion: "0.1.0",
    includeKey: includeKey ? { passphrase: PASSPHRASE, cost: FAST } : undefined,
  });
  return { temp, file, appId: app.id };
}

/** Another machine's data directory: a config and master key, no database yet. */
async function target(keyHex: string | null) {
  const dir = await Deno.makeTempDir({ prefix: "securix-restore-" });
  const env: Record<string, string> = {};
  let raw: Record<string, unknown>;
  if (keyHex) {
    await Deno.writeTextFile(`${dir}/master.key`, keyHex + "\n", { mode: 0o600 });
    raw = { database: { url: "file:data/securix.db" }, vault: { master_key: "file:master.key" } };
  } else {
    // No key file on this machine: the config's key comes from elsewhere (here a variable).
    env.SOME_KEY = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
    raw = { database: { url: "file:data/securix.db" }, vault: { master_key: "env:SOME_KEY" } };
  }
  const config = await resolveConfig(raw, {
    source: `${dir}/securix.toml`,
    baseDir: dir,
    env: (n) => env[n],
  });
  return { dir, config };
}

function restore(
  file: string,
  config: Config,
  more: Partial<RestoreOptions> = {},
): { lines: string[]; run: Promise<unknown> } {
  const lines: string[] = [];
  const run = restoreBackup({
    file,
    config,
    keyFile: `${config.baseDir}/master.key`,
    passphrase: null,
    force: false,
    now: () => Date.UTC(2026, 11, 2, 9),
    say: (line) => lines.push(line),
    open: (c, onMigrated) => openAppliance(c, { backupBeforeMigrate: false, onMigrated }),
    ...more,
  });
  return { lines, run };
}

function listing(dir: string): string[] {
  const names: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of Deno.readDirSync(d)) {
      names.push(prefix + e.name);
      if (e.isDirectory) walk(`${d}/${e.name}`, `${prefix}${e.name}/`);
    }
  };
  walk(dir, "");
  return names.sort();
}

const code = (c: string) => (e: Error & { code?: string }) => e.code === c;

Deno.test("restore: same key, empty directory: written 0600, vault and audit checked, line by line", async () => {
  const { temp, file, appId } = await sourceBackup(false);
  const { dir, config } = await target(temp.masterKeyHex);
  try {
    const { lines, run } = restore(file, config);
    await run;
    assert.match(
      lines[0],
      new RegExp(`^Backup: .*b\\.sxbak \\(securix 0\\.1\\.0, schema ${SCHEMA}, taken `),
    );
    assert.match(lines[1], /^Key: the configured master key matches \(fingerprint [0-9a-f]{16}\)$/);
    assert.match(
      lines[2],
      /^Database: checked and written beside it, .*data\/securix\.db\.restoring-\S+ \(\d+ bytes\)$/,
    );
    assert.equal(lines[3], `Migrations: none pending (schema ${SCHEMA})`);
    assert.equal(lines[4], "Vault: unlocked (1 key versions)");
    assert.match(lines[5], /^Audit chain intact: \d+ records verified$/);
    assert.match(lines[6], /^Database: .*data\/securix\.db in place \(mode 0600\)$/);
    assert.match(lines.at(-1)!, /^Restored: /);
    assert.equal((await Deno.stat(`${dir}/data/securix.db`)).mode! & 0o777, 0o600);
    const restored = await openAppliance(config);
    try {
      const apps = await restored.database.client.execute("SELECT id FROM apps");
      assert.deepEqual(apps.rows.map((r) => r.id), [appId]);
      assert.equal((await restored.vault.get("secret-1", "token"))?.value, "vault-value-1");
    } finally {
      restored.close();
    }
  } finally {
    await temp.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restore: a wrong master key is refused before anything is written", async () => {
  const { temp, file } = await sourceBackup(false);
  const other = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
  const { dir, config } = await target(other);
  try {
    const before = listing(dir);
    const { lines, run } = restore(file, config, { passphrase: PASSPHRASE });
    await assert.rejects(run, code("SX-BACKUP-KEY-MISMATCH"));
    await assert.rejects(restore(file, config).run, /Nothing was written/);
    assert.deepEqual(listing(dir), before);
    assert.equal(lines.length, 1, "only the header line was reported");
  } finally {
    await temp.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restore: a backup with its key restores on a machine without the key, given the passphrase", async () => {
  const { temp, file, appId } = await sourceBackup(true);
  const { dir, config } = await target(null);
  try {
    const before = listing(dir);
    await assert.rejects(restore(file, config).run, /--passphrase-file/);
    await assert.rejects(
      restore(file, config, { passphrase: "not the passphrase!" }).run,
      code("SX-BACKUP-PASSPHRASE"),
    );
    await assert.rejects(
      restore(file, config, { passphrase: PASSPHRASE, keyFile: null }).run,
      /environment variable/,
    );
    assert.deepEqual(listing(dir), before, "nothing written by a refused restore");

    const { lines, run } = restore(file, config, { passphrase: PASSPHRASE });
    await run;
    assert.match(lines[1], /^Key: unwrapped from the backup with the passphrase/);
    assert.ok(lines.some((l) => /^Master key: written to .*master\.key \(mode 0600\)/.test(l)));
    assert.equal((await Deno.readTextFile(`${dir}/master.key`)).trim(), temp.masterKeyHex);
    assert.equal((await Deno.stat(`${dir}/master.key`)).mode! & 0o777, 0o600);
    const reopened = await resolveConfig({
      database: { url: "file:data/securix.db" },
      vault: { master_key: "file:master.key" },
    }, { source: null, baseDir: dir, env: () => undefined });
    const restored = await openAppliance(reopened);
    try {
      const apps = await restored.database.client.execute("SELECT id FROM apps");
      assert.deepEqual(apps.rows.map((r) => r.id), [appId]);
      assert.equal((await restored.vault.get("secret-1", "token"))?.value, "vault-value-1");
    } finally {
      restored.close();
    }
  } finally {
    await temp.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restore: a database already there is refused without --force; --force moves it aside", async () => {
  const { temp, file } = await sourceBackup(false);
  const { dir, config } = await target(temp.masterKeyHex);
  try {
    await restore(file, config).run;
    // SQLite's -wal/-shm sidecars of the first restore's connection come and go as it closes:
    // what the refused restore must not do is write or move anything else.
    const files = () => listing(dir).filter((n) => !/-(wal|shm)$/.test(n));
    const before = files();
    await assert.rejects(restore(file, config).run, code("SX-BACKUP-TARGET-NOT-EMPTY"));
    assert.deepEqual(files(), before);
    const { lines, run } = restore(file, config, { force: true });
    await run;
    assert.ok(
      lines.some((l) => /^Moved aside: .*securix\.db → .*before-restore-20261202T090000Z$/.test(l)),
    );
    assert.ok(listing(dir).includes("data/securix.db.before-restore-20261202T090000Z"));
    assert.match(lines.at(-1)!, /^Restored: /);
  } finally {
    await temp.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restore --force: a damaged backup leaves the database in place untouched, and no file behind", async () => {
  const { temp, file } = await sourceBackup(false);
  const { dir, config } = await target(temp.masterKeyHex);
  try {
    await restore(file, config).run;
    const db = `${dir}/data/securix.db`;
    const before = await Deno.readFile(db);
    const files = () => listing(dir).filter((n) => !/-(wal|shm)$/.test(n));
    const listed = files();
    const bytes = await Deno.readFile(file);
    const truncated = `${temp.dir}/truncated.sxbak`;
    await Deno.writeFile(truncated, bytes.subarray(0, bytes.length - 100));
    await assert.rejects(
      restore(truncated, config, { force: true }).run,
      code("SX-BACKUP-INVALID"),
    );
    assert.deepEqual(files(), listed, "nothing moved aside, nothing left beside it");
    assert.deepEqual(await Deno.readFile(db), before);
  } finally {
    await temp.cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
