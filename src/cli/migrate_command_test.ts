import assert from "node:assert/strict";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { runCli } from "./main.ts";

Deno.test("cli migrate: refused while serve runs on the database (--status still answers); a stale pid file is ignored", async () => {
  const temp = await openTempAppliance();
  // A live process whose command line is deno's, as `deno task start` runs serve.
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["eval", "await new Promise((r) => setTimeout(r, 60_000))"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    temp.appliance.close();
    await Deno.writeTextFile(`${temp.dir}/securix.pid`, `${serve.pid}\n`);
    const refused = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "migrate"], refused.io), 1);
    assert.match(
      refused.err.join("\n"),
      new RegExp(
        `SX-MIGRATE-SERVE-RUNNING: securix serve is running on this database \\(pid ${serve.pid},.*Stop the service first`,
      ),
    );
    const status = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "migrate", "--status"], status.io), 0);
    assert.deepEqual(status.out, ["No pending migrations"]);

    // serve was killed without removing its pid file: that process is gone.
    const gone = new Deno.Command("true").spawn();
    await gone.status;
    await Deno.writeTextFile(`${temp.dir}/securix.pid`, `${gone.pid}\n`);
    const ran = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "migrate"], ran.io),
      0,
      ran.err.join("\n"),
    );
    assert.match(ran.out.join("\n"), /Database is up to date/);
  } finally {
    serve.kill("SIGKILL");
    await serve.status;
    await temp.cleanup();
  }
});
