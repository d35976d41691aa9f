import assert from "node:assert/strict";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

Deno.test("at rest: the database file is encrypted and vault values are not in it", async () => {
  const marker = `ya29.MARKER-${crypto.randomUUID()}`;
  const { appliance, dir, cleanup } = await openTempAppliance();
  try {
    await appliance.vault.put(
      "cred_1",
      "provider-credential",
      JSON.stringify({ accessToken: marker }),
    );
    await appliance.database.client.execute(
      "INSERT INTO meta (key, value) VALUES ('probe', 'PLAIN-META-PROBE')",
    );
    appliance.close();
    const files = [...Deno.readDirSync(dir)].filter((f) => f.name.startsWith("securix.db"));
    assert.ok(files.length >= 1);
    const main = await Deno.readFile(`${dir}/securix.db`);
    assert.notEqual(new TextDecoder().decode(main.slice(0, 15)), "SQLite format 3");
    const needles = [marker, "PLAIN-META-PROBE", btoa(marker).slice(0, 20)].map((s) =>
      new TextEncoder().encode(s)
    );
    for (const file of files) {
      const bytes = await Deno.readFile(`${dir}/${file.name}`);
      for (const needle of needles) {
        assert.equal(contains(bytes, needle), false, `${file.name} holds plaintext`);
      }
    }
  } finally {
    await cleanup();
  }
});
