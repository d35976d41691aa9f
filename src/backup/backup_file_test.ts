import assert from "node:assert/strict";
import {
  type BackupHeader,
  digestFile,
  extractDatabase,
  readBackupHeader,
  writeBackupFile,
} from "./backup_file.ts";

async function fixture(dir: string): Promise<{ header: BackupHeader; db: Uint8Array }> {
  // Past one read chunk (64 KiB); getRandomValues fills at most 64 KiB at a time.
  const db = new Uint8Array(200_000);
  for (let at = 0; at < db.length; at += 50_000) {
    crypto.getRandomValues(db.subarray(at, at + 50_000));
  }
  await Deno.writeFile(`${dir}/db`, db);
  const digest = await digestFile(`${dir}/db`);
  return {
    db,
    header: {
      format: "securix-backup",
      formatVersion: 1,
      securixVersion: "0.1.0",
      migration: "0007_app_deleted",
      createdAt: "2026-12-02T08:00:00.000Z",
      keyFingerprint: "0011223344556677",
      databaseBytes: digest.bytes,
      databaseSha256: digest.sha256,
    },
  };
}

const invalid = (e: Error & { code?: string }) => e.code === "SX-BACKUP-INVALID";

Deno.test("backup file: one JSON header line, then the database bytes, owner-only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { header, db } = await fixture(dir);
    const bytes = await writeBackupFile(`${dir}/b.sxbak`, header, `${dir}/db`);
    const raw = await Deno.readFile(`${dir}/b.sxbak`);
    assert.equal(raw.length, bytes);
    const newline = raw.indexOf(0x0a);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(raw.subarray(0, newline))), header);
    assert.deepEqual(raw.subarray(newline + 1), db);
    assert.equal((await Deno.stat(`${dir}/b.sxbak`)).mode! & 0o777, 0o600);
    assert.equal(await Deno.stat(`${dir}/b.sxbak.partial`).catch(() => null), null);

    const read = await readBackupHeader(`${dir}/b.sxbak`);
    assert.deepEqual(read.header, header);
    assert.equal(read.offset, newline + 1);
    await extractDatabase(`${dir}/b.sxbak`, read.offset, read.header, `${dir}/restored`);
    assert.deepEqual(await Deno.readFile(`${dir}/restored`), db);
    assert.equal((await Deno.stat(`${dir}/restored`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup file: a truncated or altered copy is refused and leaves no database", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { header } = await fixture(dir);
    await writeBackupFile(`${dir}/b.sxbak`, header, `${dir}/db`);
    const raw = await Deno.readFile(`${dir}/b.sxbak`);
    await Deno.writeFile(`${dir}/short.sxbak`, raw.subarray(0, raw.length - 10));
    const short = await readBackupHeader(`${dir}/short.sxbak`);
    await assert.rejects(
      extractDatabase(`${dir}/short.sxbak`, short.offset, short.header, `${dir}/out`),
      invalid,
    );
    assert.equal(await Deno.stat(`${dir}/out`).catch(() => null), null);
    const flipped = raw.slice();
    flipped[raw.length - 1] ^= 1;
    await Deno.writeFile(`${dir}/flip.sxbak`, flipped);
    await assert.rejects(
      extractDatabase(`${dir}/flip.sxbak`, short.offset, short.header, `${dir}/out`),
      /truncated or damaged/,
    );
    assert.equal(await Deno.stat(`${dir}/out`).catch(() => null), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup file: anything else is not a backup", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/db`, "SQLite format 3\0 no header line");
    await assert.rejects(readBackupHeader(`${dir}/db`), /no header line/);
    await Deno.writeTextFile(`${dir}/json`, '{"format":"other"}\nxx');
    await assert.rejects(readBackupHeader(`${dir}/json`), invalid);
    await Deno.writeTextFile(`${dir}/text`, "hello\nworld");
    await assert.rejects(readBackupHeader(`${dir}/text`), /header is not JSON/);
    await assert.rejects(readBackupHeader(`${dir}/missing`), /file not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backup file: a directory or a missing file named as the backup is SX-BACKUP-INVALID saying which", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      readBackupHeader(dir),
      (e: Error) =>
        /SX-BACKUP-INVALID/.test(String((e as { code?: string }).code)) &&
        /it is a directory: name the \.sxbak file itself/.test(e.message),
    );
    await assert.rejects(
      readBackupHeader(`${dir}/none.sxbak`),
      (e: Error) => /file not found/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
