/**
 * The database file under the appliance's feet: deleted or swapped while
 * serving (/readyz notices), gone when a CLI command runs (refused, nothing
 * created), and owner-only modes for the file and its -wal/-shm companions.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/main.ts";
import { createRuntime } from "../src/http/runtime.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { runCliProcess, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const INFO = {
  remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" },
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

const COMPANIONS = ["", "-wal", "-shm"];

Deno.test("readyz: fails while the database file is deleted or replaced, recovers when it is back", async () => {
  const temp = await openTempAppliance();
  const runtime = await createRuntime(temp.appliance, { audit: false, log: () => {} });
  const db = `${temp.dir}/securix.db`;
  const readyz = async () => {
    const res = await runtime.handler(new Request("http://127.0.0.1/readyz"), INFO);
    return { status: res.status, body: await res.json() };
  };
  try {
    assert.deepEqual(await readyz(), { status: 200, body: { status: "ready" } });

    await Deno.rename(db, `${db}.moved`);
    assert.deepEqual(await readyz(), {
      status: 503,
      body: { status: "not_ready", reason: "database file deleted" },
    });
    await Deno.rename(`${db}.moved`, db);
    assert.equal((await readyz()).status, 200, "the same file back is ready again");

    // A copy is another file, as a restore from backup or a second init would be.
    await Deno.copyFile(db, `${db}.copy`);
    await Deno.rename(`${db}.copy`, db);
    assert.deepEqual(await readyz(), {
      status: 503,
      body: { status: "not_ready", reason: "database file replaced" },
    });
    assert.equal(
      (await runtime.handler(new Request("http://127.0.0.1/healthz"), INFO)).status,
      200,
      "the process itself is still up",
    );
  } finally {
    await runtime.stop();
    await temp.cleanup();
  }
});

Deno.test("cli: a command other than init/serve never creates a missing database", async () => {
  const temp = await openTempAppliance();
  try {
    await seedApp(temp.appliance, { name: "demo" });
    temp.appliance.close();
    for (const suffix of COMPANIONS) {
      await Deno.remove(`${temp.dir}/securix.db${suffix}`).catch(() => {});
    }
    for (
      const args of [["apps", "list"], ["apps", "create", "demo2"], ["connections", "list"], [
        "migrate",
      ], ["audit", "verify"]]
    ) {
      const { io, err } = captureIo();
      const code = await runCli(["--config", temp.configPath, ...args], io);
      assert.equal(code, 1, args.join(" "));
      assert.match(err.join("\n"), /^Error SX-DB-MISSING: No database at .*\/securix\.db\. /);
      assert.match(err.join("\n"), /restore it .* from your backup/);
      assert.match(err.join("\n"), /securix init/);
      for (const suffix of COMPANIONS) {
        await assert.rejects(
          Deno.stat(`${temp.dir}/securix.db${suffix}`),
          Deno.errors.NotFound,
          `${args.join(" ")} created securix.db${suffix}`,
        );
      }
    }
  } finally {
    await temp.cleanup();
  }
});

Deno.test("database: a new file and its -wal and -shm files are owner-only (0600)", async () => {
  const temp = await openTempAppliance();
  try {
    // A write, so the WAL and its index exist.
    await seedApp(temp.appliance, { name: "demo" });
    for (const suffix of COMPANIONS) {
      const { mode } = await Deno.stat(`${temp.dir}/securix.db${suffix}`);
      assert.equal((mode! & 0o777).toString(8), "600", `securix.db${suffix}`);
    }
  } finally {
    await temp.cleanup();
  }
});

Deno.test("serve: /readyz turns 503 when the database file is deleted under a running process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-dbfile-" });
  let serve: ServerProcess | null = null;
  try {
    serve = await startServeProcess({ cwd: dir, timeoutMs: 30_000 });
    const ready = await fetch(`${serve.baseUrl}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    for (const suffix of COMPANIONS) {
      await Deno.remove(`${dir}/securix-data/securix.db${suffix}`).catch(() => {});
    }
    const gone = await fetch(`${serve.baseUrl}/readyz`);
    assert.deepEqual(
      { status: gone.status, body: await gone.json() },
      { status: 503, body: { status: "not_ready", reason: "database file deleted" } },
    );
    // The next CLI command does not quietly start an empty appliance beside it.
    const listed = await runCliProcess(["apps", "list"], { cwd: dir });
    assert.equal(listed.code, 1);
    assert.match(listed.stderr, /SX-DB-MISSING/);
    await assert.rejects(Deno.stat(`${dir}/securix-data/securix.db`), Deno.errors.NotFound);
  } finally {
    await serve?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
