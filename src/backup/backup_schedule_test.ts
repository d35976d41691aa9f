import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { type BackupEvent, BackupSchedule, scheduledAt } from "./backup_schedule.ts";
import { readBackupHeader } from "./backup_file.ts";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 2, 8);

function schedule(
  databasePath: string,
  masterKey: Uint8Array,
  dir: string,
  clock: { now: number },
  keep = 2,
) {
  const events: BackupEvent[] = [];
  const successes: number[] = [];
  const logs: string[] = [];
  const runner = new BackupSchedule({
    databasePath,
    dir,
    schedule: "hourly",
    keep,
    masterKey,
    securixVersion: "0.1.0",
    now: () => clock.now,
    record: (event) => {
      events.push(event);
      return Promise.resolve();
    },
    onSuccess: (at) => successes.push(at),
    log: (line) => logs.push(line),
  });
  return { runner, events, successes, logs };
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("backup schedule: due from the newest backup, one at a time, pruned to keep, audited", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance, dir } = temp;
    const backups = `${dir}/backups`;
    const clock = { now: T0 };
    const path = appliance.config.database.filePath!;
    const masterKey = appliance.config.vault.masterKey;
    const s = schedule(path, masterKey, backups, clock);
    // Two checks at once: the second finds the first running.
    const [first, second] = await Promise.all([s.runner.tick(), s.runner.tick()]);
    assert.deepEqual([first, second], ["taken", "busy"]);
    assert.deepEqual(names(backups), ["securix-20261202T080000Z.sxbak"]);
    assert.equal((await Deno.stat(backups)).mode! & 0o777, 0o700);
    assert.equal(s.events[0].kind, "admin.backup.created");
    const created = s.events[0].data as { file: string; bytes: number; migration: string };
    assert.equal(created.file, `${backups}/securix-20261202T080000Z.sxbak`);
    assert.equal(created.bytes, (await Deno.stat(created.file)).size);
    assert.equal(created.migration, (await readBackupHeader(created.file)).header.migration);
    assert.deepEqual(s.successes, [T0]);

    clock.now = T0 + HOUR - 1;
    assert.equal(await s.runner.tick(), "not-due");
    for (let h = 1; h <= 3; h++) {
      clock.now = T0 + h * HOUR;
      assert.equal(await s.runner.tick(), "taken");
    }
    // keep = 2: the two newest scheduled ones; other files in the directory are not touched.
    assert.deepEqual(names(backups), [
      "securix-20261202T100000Z.sxbak",
      "securix-20261202T110000Z.sxbak",
    ]);
    await Deno.writeTextFile(`${backups}/pre-migrate-0005_x-20261201T000000Z.sxbak`, "kept");
    clock.now = T0 + 4 * HOUR;
    assert.equal(await s.runner.tick(), "taken");
    assert.ok(names(backups).includes("pre-migrate-0005_x-20261201T000000Z.sxbak"));
    assert.equal(names(backups).length, 3);

    // A restarted process seeds the metric from the directory and does not back up again at once.
    const restarted = schedule(path, masterKey, backups, clock);
    assert.equal(await restarted.runner.tick(), "not-due");
    assert.deepEqual(restarted.successes, [T0 + 4 * HOUR]);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("backup schedule: a failure is logged and audited, and the next check tries again", async () => {
  const temp = await openTempAppliance();
  try {
    const clock = { now: T0 };
    const s = schedule(
      temp.appliance.config.database.filePath!,
      crypto.getRandomValues(new Uint8Array(32)), // not this database's key
      `${temp.dir}/backups`,
      clock,
    );
    assert.equal(await s.runner.tick(), "failed");
    assert.equal(s.events[0].kind, "admin.backup.failed");
    assert.match(String((s.events[0].data as { error: string }).error), /master key/);
    assert.match(s.logs[0], /^backup: FAILED \(.*securix-20261202T080000Z\.sxbak\): /);
    assert.deepEqual(s.successes, []);
    assert.equal(await s.runner.tick(), "failed", "not marked done: tried again");
  } finally {
    await temp.cleanup();
  }
});

Deno.test("backup schedule: only its own names count as scheduled backups", () => {
  assert.equal(scheduledAt("securix-20261202T080000Z.sxbak"), T0);
  assert.equal(scheduledAt("securix-20261202T080000Z-1.sxbak"), T0);
  assert.equal(scheduledAt("pre-migrate-0005_x-20261202T080000Z.sxbak"), null);
  assert.equal(scheduledAt("securix-20261202T080000Z.sxbak.partial"), null);
});
