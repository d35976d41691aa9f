/**
 * `securix apps update NAME --allow-credential-release` / `--no-allow-credential-release`,
 * and `apps list` / `apps show`, as an operator runs them (the CLI in this
 * process on a real appliance's securix.toml).
 */
import assert from "node:assert/strict";
import { findApp } from "../src/apps/app_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

async function cli(configPath: string, ...args: string[]) {
  const { io, out, err } = captureIo({ USER: "alice" });
  const code = await runCli(["--config", configPath, ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("apps: credential release is off by default, switched on and off by the CLI, shown, audited", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  try {
    await seedApp(appliance, { name: "demo", origins: ["https://a.example"] });
    const db = appliance.database.db;
    assert.equal((await findApp(db, "demo"))?.credentialRelease, false, "off by default");

    const shown = await cli(temp.configPath, "apps", "show", "demo");
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /Credential release: off/);

    const on = await cli(temp.configPath, "apps", "update", "demo", "--allow-credential-release");
    assert.equal(on.code, 0, on.err);
    assert.match(on.out, /Credential release: allowed/);
    assert.equal((await findApp(db, "demo"))?.credentialRelease, true);
    const listed = await cli(temp.configPath, "apps", "list", "--json");
    assert.equal(JSON.parse(listed.out)[0].credentialRelease, true);
    assert.equal(
      JSON.parse((await cli(temp.configPath, "apps", "show", "demo", "--json")).out)
        .credentialRelease,
      true,
    );

    // Another change leaves the setting as it is.
    const origin = await cli(
      temp.configPath,
      "apps",
      "update",
      "demo",
      "--origin",
      "https://b.example",
    );
    assert.equal(origin.code, 0, origin.err);
    assert.equal((await findApp(db, "demo"))?.credentialRelease, true);

    const off = await cli(
      temp.configPath,
      "apps",
      "update",
      "demo",
      "--no-allow-credential-release",
    );
    assert.equal(off.code, 0, off.err);
    assert.equal((await findApp(db, "demo"))?.credentialRelease, false);

    const updates = await listRecords(db, { kinds: "admin.app.updated" });
    assert.deepEqual(updates.map((r) => r.data.credentialRelease), [true, undefined, false]);
    assert.equal(updates[0].data.actor, "cli");
  } finally {
    await temp.cleanup();
  }
});
