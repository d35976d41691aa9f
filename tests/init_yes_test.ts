import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { loadConfig } from "../src/config/load.ts";
import { DENO_JSON, freePort, runCliProcess } from "./helpers/process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "securix-init-" });
}

function randomKey(): string {
  return encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
}

/** Runs `serve` from `dir` (its ./securix.toml), polls /healthz, then stops it with SIGTERM. */
async function serveOnce(dir: string, port: number): Promise<{ health: number; code: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_JSON, MAIN, "serve"],
    cwd: dir,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  let health = 0;
  try {
    for (let attempt = 0; attempt < 200 && !exited && health !== 200; attempt++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.body?.cancel();
        health = res.status;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    if (!exited) child.kill("SIGTERM");
  }
  const { code } = await child.status;
  await collected;
  assert.equal(health, 200, `serve never became healthy:\n${output}`);
  assert.match(output, new RegExp(`Config: ${dir}/securix\\.toml`));
  return { health, code };
}

Deno.test("init --yes: writes a config, key and first app that serve accepts", async () => {
  const dir = await tempDir();
  try {
    const port = freePort();
    const args = [
      "init",
      "--yes",
      "--public-url",
      "https://securix.example.test",
      "--listen",
      `127.0.0.1:${port}`,
      "--app",
      "demo",
      "--origin",
      "https://app.example.test",
      "--origin",
      "http://localhost:3000",
    ];
    const result = await runCliProcess([...args, "--json"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.configPath, `${dir}/securix.toml`);
    assert.deepEqual(summary.masterKey, {
      kind: "file",
      path: `${dir}/securix-data/master.key`,
      created: true,
    });
    assert.equal(summary.database.file, `${dir}/securix-data/securix.db`);
    assert.equal(summary.app.name, "demo");
    assert.deepEqual(summary.app.origins, ["https://app.example.test", "http://localhost:3000"]);
    assert.match(summary.apiKey.key, /^sx_live_[a-z2-7]{52}$/);
    assert.equal(summary.trustProxy, true);
    assert.equal(summary.oauthCallbackUrl, "https://securix.example.test/oauth/callback");

    const keyStat = await Deno.stat(`${dir}/securix-data/master.key`);
    assert.equal(keyStat.mode! & 0o777, 0o600);
    const toml = await Deno.readTextFile(`${dir}/securix.toml`);
    const key = (await Deno.readTextFile(`${dir}/securix-data/master.key`)).trim();
    assert.equal(toml.includes(key), false, "the key is not in securix.toml");
    assert.match(toml, /^master_key = "file:securix-data\/master\.key"$/m);
    const { config } = await loadConfig({ path: `${dir}/securix.toml`, env: () => undefined });
    assert.equal(config.server.listen, `127.0.0.1:${port}`);
    assert.equal(config.server.base_domain, "securix.example.test");

    const again = await runCliProcess(args, { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /securix\.toml already exists; pass --force to overwrite it/);
    assert.equal(await Deno.readTextFile(`${dir}/securix.toml`), toml);

    const apps = await runCliProcess(["apps", "list", "--json"], { cwd: dir });
    assert.equal(apps.code, 0, apps.stderr);
    assert.deepEqual(JSON.parse(apps.stdout).map((a: { id: string }) => a.id), [summary.app.id]);

    const served = await serveOnce(dir, port);
    assert.equal(served.code, 0, "clean shutdown on SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init --yes: plain output, --force keeps the key, bad flags exit 2 writing nothing", async () => {
  const dir = await tempDir();
  try {
    const bad = await runCliProcess(["init", "--yes", "--public-url", "securix.example.test"], {
      cwd: dir,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--public-url: expected a URL/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    const noTerminal = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", DENO_JSON, MAIN, "init"],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(noTerminal.code, 2);
    assert.match(new TextDecoder().decode(noTerminal.stderr), /pass --yes with flags/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);

    const first = await runCliProcess(
      ["init", "--yes", "--public-url", "https://sx.example.test"],
      {
        cwd: dir,
      },
    );
    assert.equal(first.code, 0, first.stderr);
    for (
      const expected of [
        /^Wrote .*securix\.toml$/m,
        /^Generated master key .*master\.key \(mode 0600\)/m,
        /^No app yet/m,
        /^Next steps$/m,
        /^\*\.api\.sx\.example\.test\.\s+300\s+IN\s+CNAME\s+sx\.example\.test\./m,
        /^https:\/\/sx\.example\.test, https:\/\/\*\.api\.sx\.example\.test \{$/m,
        /^\s+proxy_set_header Connection \$connection_upgrade;$/m,
        /trust_proxy = true/,
        /^securix serve/m,
        /^securix doctor/m,
      ]
    ) {
      assert.match(first.stdout, expected);
    }
    const key = await Deno.readTextFile(`${dir}/securix-data/master.key`);
    // Run again on a database that has an app: it says so, not "No app yet".
    const created = await runCliProcess(["apps", "create", "demo"], { cwd: dir });
    assert.equal(created.code, 0, created.stderr);
    const again = await runCliProcess(
      ["init", "--yes", "--force", "--public-url", "https://sx.example.test"],
      { cwd: dir },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^The database already has an app: demo; add a key with/m);
    assert.doesNotMatch(again.stdout, /No app yet/);
    const forced = await runCliProcess(
      ["init", "--yes", "--force", "--json", "--public-url", "https://other.example.test"],
      { cwd: dir },
    );
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(JSON.parse(forced.stdout).masterKey.created, false);
    assert.equal(await Deno.readTextFile(`${dir}/securix-data/master.key`), key);
    assert.match(await Deno.readTextFile(`${dir}/securix.toml`), /other\.example\.test/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor: exit 0 on a fresh init, exit 1 with a fix for a wrong master key", async () => {
  const dir = await tempDir();
  try {
    const init = await runCliProcess(["init", "--yes", "--listen", `127.0.0.1:${freePort()}`], {
      cwd: dir,
    });
    assert.equal(init.code, 0, init.stderr);
    const good = await runCliProcess(["doctor"], { cwd: dir });
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const statuses = good.stdout.split("\n").filter((l) => /^(ok|warn|fail|skip) /.test(l));
    assert.equal(statuses.length, 10, good.stdout);
    // Everything is fine but that no provider is enabled yet: a warning (exit 0) with the fix.
    assert.deepEqual(statuses.filter((l) => !l.startsWith("ok ")), [
      "warn  providers       none enabled: every consent and proxied call is refused (SX-PROVIDER-DISABLED)",
    ]);
    assert.match(
      good.stdout,
      /fix: add \[providers\.<name>\] with your OAuth client to securix\.toml/,
    );
    assert.match(good.stdout, /^ok\s+config\s+.*securix\.toml$/m);
    assert.match(good.stdout, /OAuth callback\s+register at each provider: http:\/\/localhost:\d+/);
    // workers = "auto": the total across the isolates when the host has more than one core.
    assert.match(
      good.stdout,
      /^ok\s+open files\s+soft \d+, hard \d+; .* client connections( across \d+ serving isolates \(server\.workers, counted together\))?$/m,
    );

    await Deno.writeTextFile(`${dir}/securix-data/master.key`, randomKey() + "\n");
    const broken = await runCliProcess(["doctor"], { cwd: dir });
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^fail\s+database\s+the master key does not decrypt/m);
    assert.match(broken.stdout, /fix: configure the master key this database was created with/);
    assert.match(broken.stdout, /^skip\s+migrations/m);
    assert.match(broken.stdout, /^skip\s+schema/m);
    assert.match(broken.stderr, /SX-DOCTOR-FAILED/);

    const json = await runCliProcess(["doctor", "--json"], { cwd: dir });
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout);
    assert.equal(report.ok, false);
    const database = report.checks.find((c: { name: string }) => c.name === "database");
    assert.equal(database.status, "fail");
    assert.equal(database.ok, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init --yes --master-key env: the key is printed once, never written; doctor reads it", async () => {
  const dir = await tempDir();
  try {
    const result = await runCliProcess(
      ["init", "--yes", "--master-key", "env", "--master-key-env", "SX_INIT_TEST_KEY", "--json"],
      { cwd: dir },
    );
    assert.equal(result.code, 0, result.stderr);
    const { masterKey } = JSON.parse(result.stdout);
    assert.equal(masterKey.kind, "env");
    assert.match(masterKey.generated, /^[0-9a-f]{64}$/);
    const toml = await Deno.readTextFile(`${dir}/securix.toml`);
    assert.match(toml, /^master_key = "env:SX_INIT_TEST_KEY"$/m);
    assert.equal(toml.includes(masterKey.generated), false);
    assert.equal(
      await Deno.stat(`${dir}/securix-data/master.key`).then(() => true, () => false),
      false,
    );

    const withKey = await runCliProcess(["doctor"], {
      cwd: dir,
      env: { SX_INIT_TEST_KEY: masterKey.generated },
    });
    assert.equal(withKey.code, 0, withKey.stdout);
    assert.match(withKey.stdout, /^ok\s+master key\s+from \$SX_INIT_TEST_KEY$/m);
    const without = await runCliProcess(["doctor"], { cwd: dir });
    assert.equal(without.code, 1);
    assert.match(
      without.stdout,
      /^fail\s+master key\s+environment variable SX_INIT_TEST_KEY is not set/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init --yes --force: a lost master key beside the database is refused, not regenerated", async () => {
  const dir = await tempDir();
  try {
    const args = ["init", "--yes", "--public-url", "http://localhost:8080"];
    const first = await runCliProcess(args, { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    await Deno.remove(`${dir}/securix-data/master.key`);
    const again = await runCliProcess([...args, "--force"], { cwd: dir });
    assert.equal(again.code, 1, again.stdout);
    assert.match(again.stderr, /SX-MASTER-KEY-MISSING/);
    assert.match(again.stderr, /Restore the key from your backup/);
    assert.doesNotMatch(again.stdout + again.stderr, /Back it up/);
    await assert.rejects(Deno.stat(`${dir}/securix-data/master.key`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("init --yes --service: writes securix.service beside securix.toml for this config", async () => {
  const dir = await tempDir();
  try {
    const result = await runCliProcess(["init", "--yes", "--service", "--json"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).service, { path: `${dir}/securix.service` });
    const unit = await Deno.readTextFile(`${dir}/securix.service`);
    assert.match(
      unit,
      new RegExp(`^ExecStart=/usr/local/bin/securix serve --config ${dir}/securix\\.toml$`, "m"),
    );
    assert.match(unit, new RegExp(`^ReadWritePaths=${dir}/securix-data$`, "m"));
    const status = await runCliProcess([
      "service",
      "status",
      "--unit-path",
      `${dir}/securix.service`,
    ], {
      cwd: dir,
    });
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /matches the config/);

    const other = await tempDir();
    try {
      const none = await runCliProcess(["init", "--yes", "--no-service"], { cwd: other });
      assert.equal(none.code, 0, none.stderr);
      await assert.rejects(Deno.stat(`${other}/securix.service`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(other, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
