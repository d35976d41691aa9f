import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { runCliProcess, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { exists } from "../src/config/master_key_file.ts";
import { deriveSubkey, LABELS } from "../src/vault/derive.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "securix-cli-" });
}

Deno.test("cli: a bad config exits 2 with one line naming the key, no stack trace", async () => {
  const dir = await tempDir();
  try {
    await Deno.writeTextFile(`${dir}/securix.toml`, "[server]\nlisten = 8080\n");
    const result = await runCliProcess(["serve"], { cwd: dir });
    assert.equal(result.code, 2);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(
      lines[0],
      /^Cannot load securix\.toml: server\.listen: expected "host:port", got 8080/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --help works on the program and on every command", async () => {
  const dir = await tempDir();
  try {
    const top = await runCliProcess(["--help"], { cwd: dir });
    assert.equal(top.code, 0);
    const commandBlock = top.stdout.split("Commands:")[1] ?? "";
    const commands = [...commandBlock.matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1])
      .filter((c) => c !== "help");
    for (
      const expected of ["serve", "init", "migrate", "doctor", "version", "apps", "keys", "vault"]
    ) {
      assert.ok(commands.includes(expected), `missing command ${expected}`);
    }
    for (const command of commands) {
      const help = await runCliProcess([command, "--help"], { cwd: dir });
      assert.equal(help.code, 0, `${command} --help`);
      assert.match(help.stdout, new RegExp(`Usage: securix ${command}`));
    }
    const unknown = await runCliProcess(["frobnicate"], { cwd: dir });
    assert.equal(unknown.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: apps create --json prints the key once; the database holds only its digest", async () => {
  const dir = await tempDir();
  try {
    const init = await runCliProcess(
      ["init", "--yes", "--public-url", "http://localhost:8080"],
      { cwd: dir },
    );
    assert.equal(init.code, 0, init.stderr);
    const created = await runCliProcess(
      ["apps", "create", "demo", "--origin", "https://app.example.com", "--json"],
      { cwd: dir },
    );
    assert.equal(created.code, 0, created.stderr);
    const body = JSON.parse(created.stdout);
    const key: string = body.apiKey.key;
    assert.match(key, /^sx_live_[a-z2-7]{52}$/);
    assert.equal(created.stdout.split(key).length - 1, 1, "key printed exactly once");
    assert.equal(created.stderr.includes(key), false);
    assert.deepEqual(body.app.origins, ["https://app.example.com"]);

    for (
      const args of [["apps", "list", "--json"], ["keys", "list", "demo", "--json"], [
        "keys",
        "list",
        "demo",
      ]]
    ) {
      const listed = await runCliProcess(args, { cwd: dir });
      assert.equal(listed.code, 0);
      assert.equal(listed.stdout.includes(key), false, `${args.join(" ")} must not show the key`);
    }

    const masterKey = (await Deno.readTextFile(`${dir}/securix-data/master.key`)).trim();
    const fileKey = await deriveSubkey(
      Uint8Array.from(masterKey.match(/../g)!.map((h) => parseInt(h, 16))),
      LABELS.databaseFile,
    );
    const client = createClient({
      url: `file:${dir}/securix-data/securix.db`,
      encryptionKey: encodeHexLowerCase(fileKey),
    });
    try {
      const rows = await client.execute("SELECT * FROM api_keys");
      assert.equal(rows.rows.length, 1);
      const digest = encodeHexLowerCase(sha256(new TextEncoder().encode(key)));
      assert.equal(rows.rows[0].digest, digest);
      const dump = JSON.stringify(rows.rows);
      assert.equal(dump.includes(key.slice(8)), false, "no column holds the key");
    } finally {
      client.close();
    }

    const keyId = body.apiKey.id;
    const revoked = await runCliProcess(["keys", "revoke", keyId], { cwd: dir });
    assert.equal(revoked.code, 0);
    const after = JSON.parse(
      (await runCliProcess(["keys", "list", "demo", "--json"], { cwd: dir })).stdout,
    );
    assert.ok(after[0].revokedAt);

    const duplicate = await runCliProcess(["apps", "create", "demo"], { cwd: dir });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /SX-APP-EXISTS/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: version and migrate", async () => {
  const dir = await tempDir();
  try {
    const version = await runCliProcess(["version"], { cwd: dir });
    assert.match(version.stdout, /^securix \d+\.\d+\.\d+/);
    // Only init and serve create an appliance; anything else in an empty directory says so and
    // creates nothing (no securix-data/, no master key), restore included.
    for (const args of [["migrate"], ["apps", "list"], ["restore", `${dir}/none.sxbak`]]) {
      const none = await runCliProcess(args, { cwd: dir });
      assert.equal(none.code, 1, none.stdout + none.stderr);
      assert.doesNotMatch(none.stderr, /Generated master key/);
      assert.deepEqual([...Deno.readDirSync(dir)], [], `${args.join(" ")} created nothing`);
      if (args[0] === "restore") assert.match(none.stderr, /none\.sxbak/);
      else {
        assert.match(
          none.stderr,
          /^Error SX-NO-APPLIANCE: No Securix appliance here: no securix\.toml in .*Nothing was created\./,
        );
      }
    }
    const init = await runCliProcess(
      ["init", "--yes", "--public-url", "http://localhost:8080"],
      { cwd: dir },
    );
    assert.equal(init.code, 0, init.stderr);
    const second = await runCliProcess(["migrate"], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /up to date/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a hand-written securix.toml on a fresh install: serve creates its key file; a lost key beside the database is refused", async () => {
  const dir = await tempDir();
  let serve: ServerProcess | null = null;
  try {
    await Deno.writeTextFile(
      `${dir}/securix.toml`,
      '[server]\nadmin_listen = "off"\n[vault]\nmaster_key = "file:keys/master.key"\n',
    );
    const doctor = await runCliProcess(["doctor", "--json"], { cwd: dir });
    const check = (name: string) =>
      JSON.parse(doctor.stdout).checks.find((c: { name: string }) => c.name === name);
    assert.equal(check("master key").status, "warn", doctor.stdout);
    assert.match(check("master key").fix, /^securix serve creates it on first start/);

    serve = await startServeProcess({ cwd: dir, timeoutMs: 30_000 });
    assert.match(
      serve.output(),
      new RegExp(`Generated master key ${dir}/keys/master\\.key \\(mode 0600\\)`),
    );
    await serve.stop();
    serve = null;
    assert.equal((await Deno.stat(`${dir}/keys/master.key`)).mode! & 0o777, 0o600);

    await Deno.remove(`${dir}/keys/master.key`);
    const lost = await runCliProcess(["serve"], { cwd: dir });
    assert.equal(lost.code, 1, lost.stdout + lost.stderr);
    assert.match(lost.stderr, /SX-MASTER-KEY-MISSING: .*No new key was generated/);
    assert.match(lost.stderr, /securix restore BACKUP --force --passphrase-file FILE/);
    assert.equal(await exists(`${dir}/keys/master.key`), false);
  } finally {
    await serve?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
