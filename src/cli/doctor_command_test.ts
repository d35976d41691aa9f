import assert from "node:assert/strict";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { rulesFilesOnDisk } from "./doctor_command.ts";
import { runCli } from "./main.ts";
import { migratedAppliance } from "../../tests/helpers/migrated_appliance.ts";

/** `securix doctor --json` on `dir`'s config: its exit code and a check by name. */
async function doctorJson(dir: string, env: Record<string, string> = {}) {
  const { io, out, err } = captureIo(env);
  const code = await runCli(["--config", `${dir}/securix.toml`, "doctor", "--json"], io);
  const report = JSON.parse(out.join("\n"));
  return {
    code,
    err,
    check: (name: string) => report.checks.find((c: { name: string }) => c.name === name),
  };
}

Deno.test("doctor and every command: a migration edited since it was applied is SX-MIGRATION-CHANGED", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-doctor-migrations-" });
  try {
    const { database } = await migratedAppliance(dir);
    const doctor = async () => {
      const { code, check } = await doctorJson(dir);
      return { code, check: check("migrations") };
    };
    const clean = await doctor();
    assert.equal(clean.check.status, "ok");

    await database.client.execute(
      "UPDATE securix_migrations SET checksum = 'tampered' WHERE name = '0004_audit_packs'",
    );
    database.close();
    const tampered = await doctor();
    assert.equal(tampered.code, 1);
    assert.equal(tampered.check.status, "fail");
    assert.equal(
      tampered.check.detail,
      "SX-MIGRATION-CHANGED: 0004_audit_packs applied from a different text",
    );
    for (const args of [["migrate"], ["migrate", "--status"], ["apps", "list"]]) {
      const run = captureIo();
      assert.equal(await runCli(["--config", `${dir}/securix.toml`, ...args], run.io), 1);
      assert.match(
        run.err.join("\n"),
        /SX-MIGRATION-CHANGED: Migration 0004_audit_packs was applied to this database from a different text/,
        args.join(" "),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor: a real database whose schema drifted (an index dropped) fails the schema check with what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-doctor-schema-" });
  try {
    const { database } = await migratedAppliance(dir);
    const doctor = async () => {
      const { code, check } = await doctorJson(dir);
      return { code, schema: check("schema"), migrations: check("migrations") };
    };
    const clean = await doctor();
    assert.equal(clean.schema.status, "ok", JSON.stringify(clean.schema));
    assert.equal(clean.schema.detail, "as this version's migrations build it");

    // Dropped behind securix's back: every migration is still recorded as applied.
    await database.client.execute("DROP INDEX audit_log_app_idx");
    database.close();
    const drifted = await doctor();
    assert.equal(drifted.code, 1);
    assert.equal(drifted.migrations.status, "ok", "the ledger cannot see it");
    assert.equal(drifted.schema.status, "fail");
    assert.equal(
      drifted.schema.detail,
      "1 difference from the schema this version expects: audit_log: index " +
        "audit_log_app_idx declared in the schema, missing from the database",
    );
    assert.equal(
      drifted.schema.fix,
      "the database was changed outside securix's migrations (by hand or by another tool): " +
        "stop securix serve and restore the newest backup from before the change " +
        `(securix restore FILE --force; backups are in ${dir}/backups); or, where you can run ` +
        "SQL on it (a libSQL server's shell), put the dropped index back: " +
        "CREATE INDEX `audit_log_app_idx` ON `audit_log` (`app_id`,`at`); " +
        "(migrations/0002_proxy_agents_audit.sql)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor: a config directory others may write (an install from before rules.d) is found on disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-doctor-configdir-" });
  try {
    const config = `${dir}/securix.toml`;
    await Deno.writeTextFile(config, "");
    const facts = (await rulesFilesOnDisk(config)).configDir;
    assert.equal(facts?.mode, 0o700);
    // The owner by name, as the system resolves it (this test runs as root on CI).
    if (Deno.uid() === 0) assert.equal(facts?.owner, "root");
    await Deno.chmod(dir, 0o1775);
    assert.equal((await rulesFilesOnDisk(config)).configDir?.mode, 0o1775);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor: a bad SECURIX_* override is blamed on its variable, an unknown one warned about, as serve does", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-doctor-env-" });
  try {
    await Deno.writeTextFile(`${dir}/securix.toml`, '[server]\nlisten = "127.0.0.1:8080"\n');
    const bad = await doctorJson(dir, { SECURIX_SERVER_LISTEN: "8080" });
    assert.equal(bad.check("config").status, "fail");
    assert.equal(
      bad.check("config").detail,
      'Invalid environment variable SECURIX_SERVER_LISTEN: expected "host:port", got "8080"',
    );
    const typo = await doctorJson(dir, { SECURIX_SERVER_LISTN: "1" });
    assert.equal(typo.check("config").status, "ok");
    assert.deepEqual(typo.err, [
      "Warning: SECURIX_SERVER_LISTN is not a setting and is ignored — did you mean SECURIX_SERVER_LISTEN?",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
