import assert from "node:assert/strict";
import { encodeBase64, encodeBase64url, encodeHexLowerCase } from "@oslojs/encoding";
import { createClient } from "@libsql/client";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * The marker as raw bytes and in the trivial encodings a careless layer might
 * store: hex (both cases) and base64/base64url at each of the three byte
 * alignments it could sit at inside a larger value (the middle of each is stable).
 */
function encodings(marker: string): Map<string, Uint8Array> {
  const raw = bytes(marker);
  const out = new Map<string, Uint8Array>([
    ["raw", raw],
    ["hex", bytes(encodeHexLowerCase(raw))],
    ["HEX", bytes(encodeHexLowerCase(raw).toUpperCase())],
    ["utf16", new Uint8Array(new Uint16Array([...marker].map((c) => c.charCodeAt(0))).buffer)],
  ]);
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array([...new Uint8Array(shift), ...raw]);
    out.set(`base64+${shift}`, bytes(encodeBase64(padded).slice(4, -4)));
    out.set(`base64url+${shift}`, bytes(encodeBase64url(padded).slice(4, -4)));
  }
  return out;
}

async function databaseFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("securix.db")) names.push(entry.name);
  }
  return names.sort();
}

async function assertNothingReadable(dir: string, needles: Map<string, Uint8Array>, when: string) {
  const files = await databaseFiles(dir);
  assert.ok(files.includes("securix.db"), `${when}: ${files}`);
  for (const file of files) {
    // SQLite removes -wal/-shm on close; a file gone since the listing holds nothing.
    const content = await Deno.readFile(`${dir}/${file}`).catch((e) => {
      if (e instanceof Deno.errors.NotFound && file !== "securix.db") return new Uint8Array();
      throw e;
    });
    for (const [name, needle] of needles) {
      assert.equal(contains(content, needle), false, `${when}: ${file} holds the marker (${name})`);
    }
  }
}

/** Writes `value` into a plain (unencrypted) libSQL file and searches its files for `needle`. */
async function plainFileHolds(dir: string, value: string, needle: Uint8Array): Promise<boolean> {
  const client = createClient({ url: `file:${dir}/plain.db` });
  try {
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("CREATE TABLE t (v TEXT)");
    await client.execute({ sql: "INSERT INTO t (v) VALUES (?)", args: [value] });
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.startsWith("plain.db")) continue;
      if (contains(await Deno.readFile(`${dir}/${entry.name}`), needle)) return true;
    }
    return false;
  } finally {
    client.close();
  }
}

Deno.test("at rest: the database file is encrypted and vault values are not in it", async () => {
  const marker = `ya29.MARKER-${crypto.randomUUID()}`;
  const probe = `PLAIN-META-PROBE-${crypto.randomUUID()}`;
  const { appliance, dir, cleanup } = await openTempAppliance();
  try {
    const { vault, database } = appliance;
    await vault.put("cred_1", "provider-credential", JSON.stringify({ accessToken: marker }));
    for (let i = 0; i < 50; i++) await vault.put(`filler_${i}`, "test", `${marker}-${i}`);
    // An ordinary column, to show the file layer encrypts what the vault does not.
    await database.client.execute({
      sql: "INSERT INTO meta (key, value) VALUES ('probe', ?)",
      args: [probe],
    });
    const needles = new Map([
      ...[...encodings(marker)].map(([k, v]) => [`marker ${k}`, v] as const),
      ...[...encodings(probe)].map(([k, v]) => [`probe ${k}`, v] as const),
    ]);

    // The vault layer alone: the stored ciphertext holds no trace of the value.
    const stored = await database.client.execute("SELECT ciphertext FROM vault_records");
    for (const row of stored.rows) {
      const ciphertext = new Uint8Array(row.ciphertext as ArrayBuffer);
      for (const [name, needle] of encodings(marker)) {
        assert.equal(
          contains(ciphertext, needle),
          false,
          `a ciphertext holds the marker (${name})`,
        );
      }
    }
    // The file layer, while open (fresh pages sit in the -wal file) and after close.
    await assertNothingReadable(dir, needles, "while open");
    appliance.close();
    await assertNothingReadable(dir, needles, "after close");
    const header = await Deno.readFile(`${dir}/securix.db`).then((b) => b.slice(0, 16));
    assert.notEqual(new TextDecoder().decode(header.slice(0, 15)), "SQLite format 3");
    // The same search finds the probe in an unencrypted libSQL file, so it can fail.
    assert.equal(await plainFileHolds(dir, probe, needles.get("probe raw")!), true);
  } finally {
    await cleanup();
  }
});
