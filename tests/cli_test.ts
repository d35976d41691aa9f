import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { sha256 } from "@oslojs/crypto/sha2";
import { runCliProcess } from "./helpers/process.ts";
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
    // Only init and serve create a database; migrate on none says so and creates nothing.
    const none = await runCliProcess(["migrate"], { cwd: dir });
    assert.equal(none.code, 1, none.stdout);
    assert.match(none.stderr, /SX-DB-MISSING: No database at .*securix-data\/securix\.db/);
    assert.equal(await exists(`${dir}/securix-data/securix.db`), false);
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
