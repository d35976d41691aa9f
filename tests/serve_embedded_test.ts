import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { DENO_JSON, MAIN, startServeProcess, startTaskFlags } from "./helpers/process.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("serve: a clean directory gets a running appliance on embedded defaults, reused on restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-embedded-" });
  try {
    const flags = await startTaskFlags();
    assert.equal(flags.includes("--allow-all"), false, "deno task start must not use -A");
    const started = Date.now();
    const first = await startServeProcess({ cwd: dir, flags, timeoutMs: 15_000 });
    const took = Date.now() - started;
    const health = await fetch(`${first.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    const ready = await fetch(`${first.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
    assert.match(first.output(), /Generated master key .*master\.key/);
    assert.equal(await first.stop(), 0, "clean shutdown on SIGTERM");
    console.log(`  first start healthy after ${took} ms`);

    const keyStat = await Deno.stat(`${dir}/securix-data/master.key`);
    assert.equal(keyStat.mode! & 0o777, 0o600);
    assert.ok(await exists(`${dir}/securix-data/securix.db`));
    const header = (await Deno.readFile(`${dir}/securix-data/securix.db`)).slice(0, 15);
    assert.notEqual(new TextDecoder().decode(header), "SQLite format 3");
    const key = await Deno.readTextFile(`${dir}/securix-data/master.key`);

    const second = await startServeProcess({ cwd: dir, flags });
    assert.equal(second.output().includes("Generated master key"), false);
    assert.equal((await fetch(`${second.baseUrl}/readyz`)).status, 200);
    assert.equal(await second.stop(), 0);
    assert.equal(await Deno.readTextFile(`${dir}/securix-data/master.key`), key);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a different master key against an existing database stops with a clear error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-wrongkey-" });
  try {
    const first = await startServeProcess({ cwd: dir });
    await first.stop();
    const other = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
    await Deno.writeTextFile(`${dir}/securix-data/master.key`, other + "\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--config", DENO_JSON, MAIN, "serve"],
      cwd: dir,
      env: { NO_COLOR: "1", SECURIX_SERVER_LISTEN: "127.0.0.1:0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1);
    assert.match(stderr, /SX-MASTER-KEY-MISMATCH/);
    assert.match(stderr, /master key/);
    assert.equal(/\n\s+at /.test(stderr), false, "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
