import assert from "node:assert/strict";
import {
  type DrizzleSQLiteSnapshotJSON,
  generateSQLiteDrizzleJson,
  generateSQLiteMigration,
} from "drizzle-kit/api";
import { MIGRATIONS } from "./migrations.ts";
import * as schema from "./schema.ts";

// `deno task db:generate` (drizzle-kit) numbers the next migration after the
// journal's last entry and diffs schema.ts against the newest snapshot file.
// Both must describe what migrations/ already holds, or the next developer
// gets a migration that re-creates tables every database already has.
const META = new URL("../../migrations/meta/", import.meta.url);

interface Journal {
  entries: { idx: number; tag: string }[];
}

async function newestSnapshot(): Promise<{ file: string; json: DrizzleSQLiteSnapshotJSON }> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(META)) {
    if (entry.isFile && entry.name.endsWith("_snapshot.json")) files.push(entry.name);
  }
  // drizzle-kit takes the last file name in sort order as the previous state.
  const file = files.sort().at(-1)!;
  return { file, json: JSON.parse(await Deno.readTextFile(new URL(file, META))) };
}

Deno.test("drizzle-kit: its journal lists every migration, in order", async () => {
  const journal: Journal = JSON.parse(await Deno.readTextFile(new URL("_journal.json", META)));
  assert.deepEqual(journal.entries.map((e) => e.tag), MIGRATIONS.map((m) => m.name));
  assert.deepEqual(journal.entries.map((e) => e.idx), MIGRATIONS.map((_, i) => i));
});

Deno.test("drizzle-kit: the newest snapshot is the last migration's and equals schema.ts", async () => {
  const { file, json } = await newestSnapshot();
  assert.equal(file, `${MIGRATIONS.at(-1)!.name.slice(0, 4)}_snapshot.json`);
  const current = await generateSQLiteDrizzleJson(schema);
  assert.deepEqual(
    await generateSQLiteMigration(json, current),
    [],
    `schema.ts differs from migrations/meta/${file}: see "Adding a migration" in the README`,
  );
});
