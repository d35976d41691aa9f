import assert from "node:assert/strict";
import { migratedAppliance } from "../../tests/helpers/migrated_appliance.ts";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { runCliProcess } from "../../tests/helpers/process.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { seedApp } from "../../tests/helpers/seed.ts";
import { loadConfig } from "../config/load.ts";
import { openDatabase } from "../db/client.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { runCli } from "./main.ts";
import { BUILD_COMMIT, BUILD_DATE } from "./build_info.ts";
import { VERSION } from "./version.ts";

Deno.test("cli backup: --include-key needs --passphrase-file; a backup is refused onto a live database", async () => {
  const temp = await openTempAppliance();
  try {
    await seedApp(temp.appliance, { name: "demo" });
    const file = `${temp.dir}/b.sxbak`;
    const refused = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "backup", file, "--include-key"], refused.io),
      1,
    );
    assert.match(
      refused.err.join("\n"),
      /SX-BACKUP-PASSPHRASE: --include-key needs --passphrase-file/,
    );
    assert.equal(await Deno.stat(file).catch(() => null), null, "no file written");

    const made = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "backup", file, "--json"], made.io), 0);
    const json = JSON.parse(made.out.at(-1)!);
    assert.equal(json.file, file);
    assert.equal(json.migration, MIGRATIONS.at(-1)!.name);
    assert.equal(json.includesKey, false);
    assert.match(json.keyFingerprint, /^[0-9a-f]{16}$/);
    assert.equal(json.bytes, (await Deno.stat(file)).size);

    const again = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "backup", file], again.io), 1);
    assert.match(again.err.join("\n"), /SX-BACKUP-EXISTS/);

    const onto = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "restore", file], onto.io), 1);
    assert.match(onto.err.join("\n"), /SX-BACKUP-TARGET-NOT-EMPTY: .*--force/);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("cli restore: a lost machine comes back from one file and its passphrase", async () => {
  const temp = await openTempAppliance();
  const machine = await Deno.makeTempDir({ prefix: "securix-new-machine-" });
  try {
    const { app } = await seedApp(temp.appliance, { name: "survivor" });
    await Deno.writeTextFile(`${temp.dir}/pass`, "a long backup passphrase\n");
    const file = `${temp.dir}/with-key.sxbak`;
    const made = captureIo();
    const code = await runCli([
      "--config",
      temp.configPath,
      "backup",
      file,
      "--include-key",
      "--passphrase-file",
      `${temp.dir}/pass`,
    ], made.io);
    assert.equal(code, 0, made.err.join("\n"));
    assert.match(made.out.join("\n"), /master key is in the file, wrapped under the passphrase/);

    // The new machine has nothing: embedded defaults, no key, no database.
    // Without the passphrase: refused, and no key is generated there.
    const refused = await runCliProcess(["restore", file], { cwd: machine });
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(
      refused.stderr,
      /SX-BACKUP-KEY-MISMATCH: .*no master key here \(.*securix-data\/master\.key does not exist\).*pass --passphrase-file FILE/,
    );
    assert.doesNotMatch(refused.stderr, /Generated master key/);
    assert.deepEqual([...Deno.readDirSync(machine)], [], "nothing written");
    const restored = await runCliProcess(
      ["restore", file, "--passphrase-file", `${temp.dir}/pass`],
      { cwd: machine },
    );
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const lines = restored.stdout.trim().split("\n");
    assert.match(lines[1], /^Key: unwrapped from the backup with the passphrase/);
    assert.ok(lines.some((l) => /^Master key: written to .*securix-data\/master\.key/.test(l)));
    assert.match(lines.at(-1)!, /^Restored: .*securix-data\/securix\.db$/);
    assert.equal(
      (await Deno.readTextFile(`${machine}/securix-data/master.key`)).trim(),
      temp.masterKeyHex,
    );
    const { config } = await loadConfig({ cwd: machine, env: () => undefined });
    const key = await deriveSubkey(config.vault.masterKey, LABELS.databaseFile);
    const database = await openDatabase({
      url: config.database.url,
      encryptionKey: encodeHexLowerCase(key),
    });
    const apps = await database.client.execute("SELECT id FROM apps");
    database.close();
    assert.deepEqual(apps.rows.map((r) => r.id), [app.id]);
  } finally {
    await temp.cleanup();
    await Deno.remove(machine, { recursive: true });
  }
});

Deno.test("cli restore: with a securix.toml and no master key, the passphrase restores the key where the config says", async () => {
  const temp = await openTempAppliance();
  const machine = await Deno.makeTempDir({ prefix: "securix-new-machine-" });
  try {
    const { app } = await seedApp(temp.appliance, { name: "survivor" });
    await Deno.writeTextFile(`${temp.dir}/pass`, "a long backup passphrase\n");
    const withKey = `${temp.dir}/with-key.sxbak`;
    const withoutKey = `${temp.dir}/without-key.sxbak`;
    const pass = ["--passphrase-file", `${temp.dir}/pass`];
    const made = captureIo();
    assert.equal(
      await runCli(
        ["--config", temp.configPath, "backup", withKey, "--include-key", ...pass],
        made.io,
      ),
      0,
      made.err.join("\n"),
    );
    assert.equal(
      await runCli(["--config", temp.configPath, "backup", withoutKey], captureIo().io),
      0,
    );
    // The same securix.toml on the new machine (master_key = "file:master.key"), no key there.
    await Deno.copyFile(temp.configPath, `${machine}/securix.toml`);
    const at = (args: string[]) => {
      const run = captureIo();
      run.io.cwd = () => machine;
      return runCli(args, run.io).then((code) => ({ code, ...run }));
    };

    // Without the key and without a key in the backup: a clear refusal, nothing written.
    const plain = await at(["restore", withoutKey]);
    assert.equal(plain.code, 1, plain.err.join("\n"));
    assert.match(
      plain.err.join("\n"),
      new RegExp(
        `SX-BACKUP-KEY-MISMATCH: .*no master key here \\(${machine}/master\\.key does not exist\\)`,
      ),
    );
    // A backup with the key, but no passphrase: says to pass one.
    const noPass = await at(["restore", withKey]);
    assert.equal(noPass.code, 1);
    assert.match(noPass.err.join("\n"), /SX-BACKUP-KEY-MISMATCH: .*pass --passphrase-file FILE/);
    assert.deepEqual([...Deno.readDirSync(machine)].map((e) => e.name), ["securix.toml"]);

    const restored = await at(["restore", withKey, ...pass]);
    assert.equal(restored.code, 0, restored.err.join("\n"));
    assert.match(restored.out[1], /^Key: unwrapped from the backup with the passphrase/);
    assert.ok(restored.out.includes(
      `Master key: written to ${machine}/master.key (mode 0600); keep a copy apart from the backups`,
    ));
    assert.equal((await Deno.readTextFile(`${machine}/master.key`)).trim(), temp.masterKeyHex);
    assert.equal((await Deno.stat(`${machine}/master.key`)).mode! & 0o777, 0o600);
    const list = captureIo();
    assert.equal(
      await runCli(["--config", `${machine}/securix.toml`, "apps", "list", "--json"], list.io),
      0,
    );
    assert.match(list.out.join("\n"), new RegExp(app.id));
  } finally {
    await temp.cleanup();
    await Deno.remove(machine, { recursive: true });
  }
});

Deno.test("cli restore --force: refused while serve runs on the data directory; a stale pid file is ignored", async () => {
  const temp = await openTempAppliance();
  let serve: Deno.ChildProcess | null = null;
  try {
    await seedApp(temp.appliance, { name: "live" });
    const file = `${temp.dir}/b.sxbak`;
    assert.equal(await runCli(["--config", temp.configPath, "backup", file], captureIo().io), 0);
    // A live process whose command line is deno's, as `deno task start` runs serve (not this
    // one: a pid file naming the command's own pid is a stale one, a container's pid 1).
    serve = new Deno.Command(Deno.execPath(), {
      args: ["eval", "await new Promise((r) => setTimeout(r, 60_000))"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await Deno.writeTextFile(`${temp.dir}/securix.pid`, `${serve.pid}\n`);
    const before = [...Deno.readDirSync(temp.dir)].map((e) => e.name).sort();
    const refused = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "restore", file, "--force"], refused.io),
      1,
    );
    assert.match(
      refused.err.join("\n"),
      new RegExp(
        `SX-BACKUP-SERVE-RUNNING: securix serve is running on this data directory \\(pid ${serve.pid}, ` +
          `from ${temp.dir}/securix\\.pid\\).*Stop the service first \\(systemctl stop securix.*` +
          "Nothing was written\\.",
      ),
    );
    assert.deepEqual([...Deno.readDirSync(temp.dir)].map((e) => e.name).sort(), before);

    // serve was killed without removing its pid file: that process is gone.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    await Deno.writeTextFile(`${temp.dir}/securix.pid`, `${gone.pid}\n`);
    const restored = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "restore", file, "--force"], restored.io),
      0,
      restored.err.join("\n"),
    );
    assert.match(restored.out.join("\n"), /Moved aside: .*securix\.db → /);
  } finally {
    if (serve) {
      serve.kill("SIGKILL");
      await serve.status;
    }
    await temp.cleanup();
  }
});

Deno.test("cli version: version, schema version and build", async () => {
  const text = captureIo();
  assert.equal(await runCli(["version"], text.io), 0);
  assert.deepEqual(text.out, [
    `securix ${VERSION}`,
    `schema ${MIGRATIONS.at(-1)!.name}`,
    `build ${BUILD_COMMIT} (${BUILD_DATE})`,
  ]);
  const json = captureIo();
  assert.equal(await runCli(["version", "--json"], json.io), 0);
  assert.deepEqual(JSON.parse(json.out[0]), {
    version: VERSION,
    schema: MIGRATIONS.at(-1)!.name,
    commit: BUILD_COMMIT,
    date: BUILD_DATE,
  });
});

Deno.test("cli migrate: --status lists what will run; migrate backs up first; a newer database is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-migrate-cli-" });
  try {
    const old = await migratedAppliance(dir, MIGRATIONS.slice(0, 6), "0.0.9");
    old.database.close();
    const { config, encryptionKey } = old;
    const pending = MIGRATIONS.slice(6).map((m) => m.name);

    const status = captureIo();
    assert.equal(
      await runCli(["--config", `${dir}/securix.toml`, "migrate", "--status"], status.io),
      0,
    );
    assert.deepEqual(status.out, [`Pending: ${pending.join(", ")}`]);

    const run = captureIo();
    assert.equal(await runCli(["--config", `${dir}/securix.toml`, "migrate"], run.io), 0);
    assert.match(
      run.out[0],
      new RegExp(
        `^Backup before migrating: ${dir}/backups/pre-migrate-${
          MIGRATIONS[5].name
        }-\\d{8}T\\d{6}Z\\.sxbak$`,
      ),
    );
    assert.equal(run.out[1], `Applied: ${pending.join(", ")}`);
    await Deno.stat(run.out[0].replace("Backup before migrating: ", ""));

    const db = await openDatabase({ url: config.database.url, encryptionKey });
    await db.client.execute(
      "INSERT INTO securix_migrations (name, checksum, applied_at, securix_version) " +
        "VALUES ('0042_from_the_future', 'x', 1, '2.0.0')",
    );
    db.close();
    for (const args of [["migrate"], ["migrate", "--status"], ["apps", "list"]]) {
      const newer = captureIo();
      assert.equal(await runCli(["--config", `${dir}/securix.toml`, ...args], newer.io), 1);
      assert.match(
        newer.err.join("\n"),
        /SX-DB-NEWER: .*has migration 0042_from_the_future.*Run securix 2\.0\.0 \(or newer\)/,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
