import assert from "node:assert/strict";
import { runCliProcess } from "../../tests/helpers/process.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { runCli } from "./main.ts";
import { captureIo } from "../../tests/helpers/capture_io.ts";

Deno.test("cli vault: rotate-key reports progress and a summary; status lists keys", async () => {
  const { appliance, configPath, cleanup } = await openTempAppliance();
  try {
    for (let i = 0; i < 5; i++) await appliance.vault.put(`r${i}`, "token", `value-${i}`);
    appliance.close();
    const rotate = captureIo();
    const code = await runCli(
      ["--config", configPath, "vault", "rotate-key", "--batch-size", "2"],
      rotate.io,
    );
    assert.equal(code, 0, rotate.err.join("\n"));
    assert.deepEqual(rotate.out.slice(0, 3), [
      "re-encrypted 2/5",
      "re-encrypted 4/5",
      "re-encrypted 5/5",
    ]);
    assert.match(rotate.out[3], /^Vault key v2 is active; re-encrypted 5 of 5 records; retired v1/);

    const status = captureIo();
    assert.equal(await runCli(["--config", configPath, "vault", "status", "--json"], status.io), 0);
    const versions = JSON.parse(status.out.join("\n"));
    assert.deepEqual(
      versions.map((v: { id: number; status: string; records: number }) => [
        v.id,
        v.status,
        v.records,
      ]),
      [[1, "retired", 0], [2, "active", 5]],
    );
    const table = captureIo();
    assert.equal(await runCli(["--config", configPath, "vault", "status"], table.io), 0);
    assert.match(table.out[0], /^ID\s+STATUS\s+RECORDS\s+CREATED_AT\s+RETIRED_AT$/);
    assert.match(table.out[2], /^2\s+active\s+5\s/);
  } finally {
    await cleanup();
  }
});

Deno.test("cli vault: a batch size that is not a whole number ≥ 1 is a usage error", async () => {
  const { appliance, configPath, cleanup } = await openTempAppliance();
  try {
    appliance.close();
    for (const bad of ["0", "-3", "2.5", "many"]) {
      const run = captureIo();
      const args = ["--config", configPath, "vault", "rotate-key", "--batch-size", bad];
      assert.equal(await runCli(args, run.io), 2, bad);
      assert.match(run.err.join("\n"), /expected a whole number/);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("cli vault: rotate-key in another process while this one serves traffic", async () => {
  const { appliance, configPath, dir, cleanup } = await openTempAppliance();
  let stop = false;
  const latest = new Map<string, string>();
  const serve = async () => {
    for (let n = 0; !stop; n++) {
      const id = `r${(n * 7) % 300}`;
      if (n % 3 === 0) {
        const value = `serving-${n}`;
        await appliance.vault.put(id, "token", value);
        latest.set(id, value);
      } else {
        assert.equal((await appliance.vault.get(id, "token"))?.value, latest.get(id));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  try {
    for (let i = 0; i < 300; i++) {
      await appliance.vault.put(`r${i}`, "token", `v0-${i}`);
      latest.set(`r${i}`, `v0-${i}`);
    }
    const serving = serve().finally(() => stop = true);
    const cli = await runCliProcess(
      ["--config", configPath, "vault", "rotate-key", "--batch-size", "25", "--json"],
      { cwd: dir },
    ).finally(() => stop = true);
    await serving;
    assert.equal(cli.code, 0, cli.stderr);
    const result = JSON.parse(cli.stdout);
    assert.equal(result.newKeyId, 2);
    assert.deepEqual(result.retired, [1]);
    // The total is counted after the switch, so writes landing meanwhile may shrink it.
    assert.match(cli.stderr, /re-encrypted \d+\/\d+\n/);
    // Writes of the serving process landed on the new key before the rotation got there.
    assert.ok(result.reencrypted + result.skipped < result.total, cli.stdout);
    // The serving process seals with the key the other process made active.
    await appliance.vault.put("after", "token", "sealed with v2");
    const keys = await appliance.database.client.execute(
      "SELECT DISTINCT key_id FROM vault_records",
    );
    assert.deepEqual(keys.rows.map((r) => r.key_id), [2]);
    for (const [id, value] of latest) {
      assert.equal((await appliance.vault.get(id, "token"))?.value, value, id);
    }
  } finally {
    stop = true;
    await cleanup();
  }
});
