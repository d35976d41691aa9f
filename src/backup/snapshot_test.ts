import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { seedApp } from "../../tests/helpers/seed.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { extractDatabase, readBackupHeader } from "./backup_file.ts";
import { keyFingerprint } from "./key_fingerprint.ts";
import { takeSnapshot } from "./snapshot.ts";

const MARKER = "plaintext-marker-app-7f3a";

Deno.test("snapshot: VACUUM INTO copy, encrypted with the database's own page key, in a .sxbak", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance, dir } = temp;
    await seedApp(appliance, { name: MARKER });
    const masterKey = appliance.config.vault.masterKey;
    const file = `${dir}/out/b.sxbak`;
    await Deno.mkdir(`${dir}/out`);
    const result = await takeSnapshot({
      databasePath: appliance.config.database.filePath!,
      masterKey,
      file,
      securixVersion: "9.8.7",
      now: () => Date.UTC(2026, 11, 2, 8),
    });
    assert.equal(result.migration, MIGRATIONS.at(-1)!.name);
    assert.equal(result.bytes, (await Deno.stat(file)).size);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    // Nothing left beside it: the temporary snapshot is removed.
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["b.sxbak"]);

    const { header, offset } = await readBackupHeader(file);
    assert.equal(header.securixVersion, "9.8.7");
    assert.equal(header.createdAt, "2026-12-02T08:00:00.000Z");
    assert.equal(header.keyFingerprint, await keyFingerprint(masterKey));
    assert.equal(header.wrappedKey, undefined);
    const raw = new TextDecoder("latin1").decode(await Deno.readFile(file));
    assert.ok(!raw.includes(MARKER), "no table content in the clear");
    assert.ok(!raw.includes(encodeHexLowerCase(masterKey)), "never the key");
    assert.ok(!raw.includes("SQLite format 3"), "not a plaintext SQLite file");

    await extractDatabase(file, offset, header, `${dir}/copy.db`);
    const encryptionKey = encodeHexLowerCase(await deriveSubkey(masterKey, LABELS.databaseFile));
    const copy = createClient({ url: `file:${dir}/copy.db`, encryptionKey });
    const apps = await copy.execute("SELECT name FROM apps");
    assert.deepEqual(apps.rows.map((r) => r.name), [MARKER]);
    copy.close();
    const keyless = createClient({ url: `file:${dir}/copy.db` });
    await assert.rejects(keyless.execute("SELECT name FROM apps"), /SQLITE_NOTADB|not a database/);
    keyless.close();

    await assert.rejects(
      takeSnapshot({
        databasePath: appliance.config.database.filePath!,
        masterKey,
        file,
        securixVersion: "9.8.7",
      }),
      (e: Error & { code?: string }) => e.code === "SX-BACKUP-EXISTS",
    );
    // A directory that is not there is named, with the command that makes it; never the
    // snapshot's temporary file (what the operator saw before: an "Unexpected error" about it).
    await assert.rejects(
      takeSnapshot({
        databasePath: appliance.config.database.filePath!,
        masterKey,
        file: `${dir}/missing/b.sxbak`,
        securixVersion: "9.8.7",
      }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "SX-BACKUP-DIR");
        assert.equal(
          e.message,
          `The directory ${dir}/missing does not exist: create it (mkdir -p ${dir}/missing) or ` +
            "choose another path; nothing was written",
        );
        return true;
      },
    );
  } finally {
    await temp.cleanup();
  }
});

Deno.test("snapshot: the wrong master key does not make a backup", async () => {
  const temp = await openTempAppliance();
  try {
    await assert.rejects(
      takeSnapshot({
        databasePath: temp.appliance.config.database.filePath!,
        masterKey: crypto.getRandomValues(new Uint8Array(32)),
        file: `${temp.dir}/b.sxbak`,
        securixVersion: "0.1.0",
      }),
      (e: Error & { code?: string }) => e.code === "SX-MASTER-KEY-MISMATCH",
    );
    assert.equal(await Deno.stat(`${temp.dir}/b.sxbak`).catch(() => null), null);
  } finally {
    await temp.cleanup();
  }
});
