import assert from "node:assert/strict";
import { loadConfig } from "./load.ts";
import { ConfigError } from "./config_error.ts";
import { exists } from "./master_key_file.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { openAppliance } from "../http/appliance.ts";
import { runCli } from "../cli/main.ts";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { DEFAULT_RETRY_DELAYS_MS } from "../webhooks/retry_schedule.ts";
import { configSchema } from "./schema.ts";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { Keyring } from "../vault/keyring.ts";
import { serverHoldsVault } from "../vault/vault_presence.ts";

const KEY = "a".repeat(64);

async function withDir(
  toml: string | null,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-config-" });
  try {
    if (toml !== null) await Deno.writeTextFile(`${dir}/securix.toml`, toml);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function loadError(
  dir: string,
  env: Record<string, string> = {},
): Promise<string> {
  const error = await loadConfig({ cwd: dir, env: (n) => env[n] }).then(
    () => null,
    (e) => e,
  );
  assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
  return error.message;
}

const BAD_FILES: [string, string, RegExp][] = [
  [
    "listen as a number",
    "[server]\nlisten = 8080\n",
    /server\.listen: expected "host:port", got 8080/,
  ],
  ["unknown key", '[server]\nlistn = "127.0.0.1:1"\n', /server\.listn: unknown key/],
  ["unknown section", "[servr]\n", /servr: unknown key/],
  [
    "wrong type",
    '[server]\ntrust_proxy = "yes"\n',
    /server\.trust_proxy: expected an IP address or CIDR range, got "yes"/,
  ],
  [
    "literal master key",
    `[vault]\nmaster_key = "${KEY}"\n`,
    /vault\.master_key: expected "env:NAME" or "file:\/path"/,
  ],
  [
    "missing env secret",
    '[vault]\nmaster_key = "env:NOPE_KEY"\n',
    /vault\.master_key: environment variable NOPE_KEY is not set/,
  ],
  [
    "missing file secret",
    '[vault]\nmaster_key = "file:/nonexistent/k"\n',
    /vault\.master_key: file \/nonexistent\/k does not exist/,
  ],
  ["bad database url", '[database]\nurl = "postgres://x"\n', /database\.url:/],
  [
    "port out of range",
    '[server]\nlisten = "127.0.0.1:99999"\n',
    /server\.listen: expected a port up to 65535/,
  ],
  ["invalid TOML", "[server\n", /Cannot load securix\.toml: line 1, column/],
  [
    "a rule with an unknown effect",
    '[[rules]]\nname = "ok"\neffect = "deny"\n[[rules]]\nname = "x"\neffect = "deny"\n' +
    '[[rules]]\nname = "gmail_draft_only"\neffect = "block"\n',
    /rules\[2\] \(gmail_draft_only\)\.effect: expected one of deny, redact, hide, limit, approve, got "block"/,
  ],
  [
    "a misspelt rule key",
    '[[rules]]\nname = "r"\neffect = "deny"\nllm_eror = "x"\n',
    /rules\[0\] \(r\)\.llm_eror: unknown key \(did you mean llm_error\?\)/,
  ],
  [
    "a rule field in the wrong place",
    '[[rules]]\nname = "r"\neffect = "redact"\npatterns = ["ssn"]\n' +
    'condition = { recipient_domain_not_in = ["acme.com"] }\n',
    /rules\[0\] \(r\)\.condition\.recipient_domain_not_in: only applies to effect = "deny"/,
  ],
  [
    "rules written as a table",
    '[rules]\nname = "r"\n',
    /rules: expected \[\[rules\]\] tables, got a table/,
  ],
  [
    "a scope without operations",
    "[scopes.mail]\nenabled = false\n",
    /scopes\.mail\.operations: required: a list of operation globs/,
  ],
  [
    "max_inspect_bytes below 1024",
    "[proxy]\nmax_inspect_bytes = 100\n",
    /proxy\.max_inspect_bytes: /,
  ],
  [
    "max_inspect_bytes above 256 MiB",
    "[proxy]\nmax_inspect_bytes = 268435457\n",
    /proxy\.max_inspect_bytes: /,
  ],
];

for (const [name, toml, pattern] of BAD_FILES) {
  Deno.test(`config: refuses ${name} with the key path`, async () => {
    await withDir(toml, async (dir) => {
      const message = await loadError(dir);
      assert.match(message, pattern);
      assert.match(message, /^Cannot load securix\.toml: /);
      assert.equal(message.includes("\n"), false, "one line");
    });
  });
}

Deno.test("config: rule mistakes are reported with every other mistake of the file", async () => {
  await withDir(
    '[server]\nlisten = 1\n[[rules]]\nname = "r"\neffect = "hide"\n',
    async (dir) => {
      const message = await loadError(dir);
      assert.match(message, /server\.listen: expected "host:port", got 1/);
      assert.match(message, /rules\[0\] \(r\)\.labels: effect = "hide" needs labels/);
    },
  );
});

Deno.test("config: [[rules]] and [scopes.*] parse to validated tables; max_inspect_bytes defaults to 8 MiB", async () => {
  const schema = configSchema({
    env: () => KEY,
    readFile: () => Promise.resolve(KEY),
    baseDir: "/",
  });
  const none = await schema.parseAsync({ vault: { master_key: "env:MK" } });
  assert.deepEqual([none.rules, none.scopes, none.proxy.max_inspect_bytes], [[], {}, 8388608]);
  const parsed = await schema.parseAsync({
    vault: { master_key: "env:MK" },
    proxy: { max_inspect_bytes: 1024 },
    rules: [
      { name: "draft_only", target: "gmail.users.messages.send", effect: "deny", llm_error: "x" },
      { name: "ext", target: "gmail.*", effect: "deny", condition: { method_in: ["post"] } },
    ],
    scopes: { mail: { operations: ["gmail.*"], enabled: false } },
  });
  assert.equal(parsed.proxy.max_inspect_bytes, 1024);
  assert.deepEqual(parsed.rules, [
    {
      name: "draft_only",
      target: "gmail.users.messages.send",
      effect: "deny",
      llm_error: "x",
      enabled: true,
    },
    {
      name: "ext",
      target: "gmail.*",
      effect: "deny",
      condition: { method_in: ["POST"] },
      enabled: true,
    },
  ]);
  assert.deepEqual(parsed.scopes, { mail: { operations: ["gmail.*"], enabled: false } });
});

Deno.test("config: short master key names the problem without echoing it", async () => {
  await withDir('[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const message = await loadError(dir, { MK: "abcd1234" });
    assert.match(
      message,
      /vault\.master_key: expected 64 hex characters \(32 random bytes\), got 8/,
    );
    assert.equal(message.includes("abcd1234"), false);
  });
});

Deno.test("config: env: and file: references resolve, relative to the config file", async () => {
  await withDir(
    '[vault]\nmaster_key = "file:keys/master.key"\n[database]\nurl = "file:data/x.db"\nauth_token = "env:TOKEN"\n',
    async (dir) => {
      await Deno.mkdir(`${dir}/keys`);
      await Deno.writeTextFile(`${dir}/keys/master.key`, KEY + "\n");
      const { config } = await loadConfig({
        cwd: "/",
        path: `${dir}/securix.toml`,
        env: (n) => n === "TOKEN" ? "t0k" : undefined,
      });
      assert.equal(config.vault.masterKey.length, 32);
      assert.equal(config.vault.masterKey[0], 0xaa);
      assert.equal(config.database.filePath, `${dir}/data/x.db`);
      assert.equal(config.database.authToken, "t0k");
    },
  );
});

Deno.test("config: SECURIX_<SECTION>_<KEY> overrides win over the file", async () => {
  await withDir(
    '[server]\nlisten = "127.0.0.1:1000"\ntrust_proxy = false\n[vault]\nmaster_key = "env:MK"\n',
    async (dir) => {
      const env: Record<string, string> = {
        MK: KEY,
        SECURIX_SERVER_LISTEN: "0.0.0.0:9000",
        SECURIX_SERVER_TRUST_PROXY: "true",
        SECURIX_SERVER_MAX_BODY_BYTES: "2048",
      };
      const { config } = await loadConfig({ cwd: dir, env: (n) => env[n] });
      assert.deepEqual(config.server.listenAddress, { hostname: "0.0.0.0", port: 9000 });
      assert.equal(config.server.trust_proxy, true);
      assert.equal(config.server.max_body_bytes, 2048);
    },
  );
});

Deno.test("config: a bad override is blamed on its variable, not on securix.toml", async () => {
  await withDir('[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const message = await loadError(dir, { MK: KEY, SECURIX_SERVER_LISTEN: "8080" });
    assert.equal(
      message,
      'Invalid environment variable SECURIX_SERVER_LISTEN: expected "host:port", got "8080"',
    );
    const number = await loadError(dir, { MK: KEY, SECURIX_SERVER_MAX_BODY_BYTES: "lots" });
    assert.match(number, /^Invalid environment variable SECURIX_SERVER_MAX_BODY_BYTES: /);
    assert.doesNotMatch(number, /securix\.toml/);
  });
  // A file error and a variable error together: each under its own name.
  await withDir('[server]\nlisten = 1\n[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const both = await loadError(dir, { MK: KEY, SECURIX_SERVER_PUBLIC_URL: "ftp://x" });
    assert.match(both, /^Cannot load securix\.toml: /);
    assert.match(both, /server\.listen: expected "host:port", got 1/);
    assert.match(both, /SECURIX_SERVER_PUBLIC_URL: /);
  });
});

Deno.test("config: a malformed SECURIX_VAULT_MASTER_KEY is reported by its length, never its value", async () => {
  await withDir(null, async (dir) => {
    for (const value of ["not-the-key-hunter2", "a".repeat(63), "true", "1234567"]) {
      const message = await loadError(dir, { SECURIX_VAULT_MASTER_KEY: value });
      assert.equal(
        message,
        "Invalid environment variable SECURIX_VAULT_MASTER_KEY: expected 64 hex characters " +
          `(32 random bytes), got ${value.length} characters`,
      );
    }
  });
});

Deno.test("config: unknown SECURIX_* variables are warned about, naming the closest setting", async () => {
  await withDir('[vault]\nmaster_key = "env:SECURIX_GMAIL_MK"\n', async (dir) => {
    const env: Record<string, string> = {
      SECURIX_GMAIL_MK: KEY,
      SECURIX_CONFIG: `${dir}/securix.toml`,
      SECURIX_SERVER_LISTN: "0.0.0.0:9",
      SECURIX_SERVER_LISTEN: "127.0.0.1:7000",
      SECURIX_WEBHOOK_TIMEOUT_MS: "5",
      SECURIX_ZZZZZZZZZZZZZZZZZZZZZZ: "1",
      SECURIX_URL: "https://securix.example",
      PATH: "/usr/bin",
    };
    const { config, warnings } = await loadConfig({
      cwd: dir,
      env: (n) => env[n],
      envNames: () => Object.keys(env),
    });
    assert.equal(config.server.listen, "127.0.0.1:7000", "the typo is ignored, as warned");
    assert.deepEqual(warnings, [
      "Warning: SECURIX_SERVER_LISTN is not a setting and is ignored — did you mean SECURIX_SERVER_LISTEN?",
      "Warning: SECURIX_WEBHOOK_TIMEOUT_MS is not a setting and is ignored — did you mean SECURIX_WEBHOOKS_TIMEOUT_MS?",
      "Warning: SECURIX_ZZZZZZZZZZZZZZZZZZZZZZ is not a setting and is ignored; settings are SECURIX_<SECTION>_<KEY>",
    ]);
  });
});

Deno.test("config: SECURIX_SERVER_ADMIN_LISTEN overrides server.admin_listen like the other listeners", async () => {
  await withDir('[vault]\nmaster_key = "env:SECURIX_GMAIL_MK"\n', async (dir) => {
    for (const [value, address] of [["off", null], ["127.0.0.1:18081", "127.0.0.1:18081"]]) {
      const env: Record<string, string> = {
        SECURIX_GMAIL_MK: KEY,
        SECURIX_CONFIG: `${dir}/securix.toml`,
        SECURIX_SERVER_ADMIN_LISTEN: value!,
      };
      const { config, warnings } = await loadConfig({
        cwd: dir,
        env: (n) => env[n],
        envNames: () => Object.keys(env),
      });
      assert.deepEqual(warnings, []);
      const got = config.server.adminAddress;
      assert.equal(got && `${got.hostname}:${got.port}`, address);
    }
  });
});

Deno.test("cli: unknown SECURIX_* variables are warned about once, on stderr", async () => {
  await withDir(`[vault]\nmaster_key = "env:MK"\n`, async (dir) => {
    const { io, err } = captureIo({ MK: KEY, SECURIX_SERVER_LISTN: "x" });
    const code = await runCli(["--config", `${dir}/securix.toml`, "migrate", "--status"], io);
    const warnings = err.filter((line) => line.includes("SECURIX_SERVER_LISTN"));
    assert.deepEqual(warnings, [
      "Warning: SECURIX_SERVER_LISTN is not a setting and is ignored — did you mean SECURIX_SERVER_LISTEN?",
    ]);
    assert.equal(code, 1, "and then no database: migrate creates none");
  });
});

Deno.test("config: webhook timeout and retry delays default to production values, overridable", async () => {
  await withDir('[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const defaults = await loadConfig({ cwd: dir, env: (n) => ({ MK: KEY })[n] });
    assert.equal(defaults.config.webhooks.timeout_ms, 10_000);
    assert.deepEqual(defaults.config.webhooks.retry_delays_ms, DEFAULT_RETRY_DELAYS_MS);
    const env: Record<string, string> = {
      MK: KEY,
      SECURIX_WEBHOOKS_TIMEOUT_MS: "2500",
      SECURIX_WEBHOOKS_RETRY_DELAYS_MS: "200, 400,800",
    };
    const { config } = await loadConfig({ cwd: dir, env: (n) => env[n] });
    assert.equal(config.webhooks.timeout_ms, 2500);
    assert.deepEqual(config.webhooks.retry_delays_ms, [200, 400, 800]);
    const bad = await loadError(dir, { MK: KEY, SECURIX_WEBHOOKS_RETRY_DELAYS_MS: "soon" });
    assert.match(bad, /SECURIX_WEBHOOKS_RETRY_DELAYS_MS: expected array, got "soon"/);
  });
  await withDir(
    '[vault]\nmaster_key = "env:MK"\n[webhooks]\nretry_delays_ms = []\n',
    async (dir) => {
      assert.match(await loadError(dir, { MK: KEY }), /webhooks\.retry_delays_ms: /);
    },
  );
});

Deno.test("config: proxy upstream timeout defaults to 30 s, set in the file or by env, bounded", async () => {
  await withDir('[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const defaults = await loadConfig({ cwd: dir, env: (n) => ({ MK: KEY })[n] });
    assert.equal(defaults.config.proxy.upstream_timeout_ms, 30_000);
    const env: Record<string, string> = { MK: KEY, SECURIX_PROXY_UPSTREAM_TIMEOUT_MS: "2500" };
    const { config } = await loadConfig({ cwd: dir, env: (n) => env[n] });
    assert.equal(config.proxy.upstream_timeout_ms, 2500);
  });
  await withDir(
    '[vault]\nmaster_key = "env:MK"\n[proxy]\nupstream_timeout_ms = 45000\n',
    async (dir) => {
      const { config } = await loadConfig({ cwd: dir, env: (n) => ({ MK: KEY })[n] });
      assert.equal(config.proxy.upstream_timeout_ms, 45_000);
    },
  );
  await withDir(
    '[vault]\nmaster_key = "env:MK"\n[proxy]\nupstream_timeout_ms = 5\n',
    async (dir) => {
      assert.match(await loadError(dir, { MK: KEY }), /proxy\.upstream_timeout_ms: /);
    },
  );
});

Deno.test("config: embedded defaults create the data dir and a 0600 key once (serve)", async () => {
  await withDir(null, async (dir) => {
    const first = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    assert.equal(first.config.source, null);
    assert.equal(first.config.server.listen, "127.0.0.1:8080");
    assert.equal(first.config.server.base_domain, "localhost");
    assert.equal(first.config.database.filePath, `${dir}/securix-data/securix.db`);
    assert.equal(first.notes.length, 2);
    const stat = await Deno.stat(`${dir}/securix-data/master.key`);
    assert.equal(stat.mode! & 0o777, 0o600);
    const second = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    assert.deepEqual(second.notes, []);
    assert.deepEqual(second.config.vault.masterKey, first.config.vault.masterKey);
  });
});

Deno.test("config: a lost master key beside an existing database is not replaced by a new one", async () => {
  await withDir(null, async (dir) => {
    const { config } = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    const appliance = await openAppliance(config, { create: true });
    appliance.close();
    await Deno.remove(`${dir}/securix-data/master.key`);
    const error = await loadConfig({ cwd: dir, env: () => undefined, create: true }).then(
      () => null,
      (e) => e,
    );
    assert.ok(error instanceof SecurixError, `expected SecurixError, got ${error}`);
    assert.equal(error.code, "SX-MASTER-KEY-MISSING");
    assert.match(error.message, /Restore the key from your backup/);
    assert.ok(error.message.includes(`${dir}/securix-data/master.key`), error.message);
    assert.match(error.message, /move .*securix\.db and its -wal and -shm files away/);
    assert.equal(await exists(`${dir}/securix-data/master.key`), false, "no new key written");

    // Moving the database away is the documented way to start fresh.
    await Deno.rename(`${dir}/securix-data/securix.db`, `${dir}/old.db`);
    const fresh = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    assert.match(fresh.notes.join("\n"), /Generated master key/);
  });
});

Deno.test("config: without create, no config and no key is SX-NO-APPLIANCE and nothing is created", async () => {
  await withDir(null, async (dir) => {
    const error = await loadConfig({ cwd: dir, env: () => undefined }).then(() => null, (e) => e);
    assert.ok(error instanceof SecurixError, `expected SecurixError, got ${error}`);
    assert.equal(error.code, "SX-NO-APPLIANCE");
    assert.ok(error.message.includes(`no securix.toml in ${dir}`), error.message);
    assert.match(
      error.message,
      /Nothing was created\..*--config PATH.*securix init.*securix serve/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "no securix-data/, no key");
    // A key in the environment is an appliance's: the command goes on (to its database).
    const { config } = await loadConfig({
      cwd: dir,
      env: (n) => n === "SECURIX_VAULT_MASTER_KEY" ? KEY : undefined,
    });
    assert.equal(config.source, null);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("config: a hand-written securix.toml on a fresh install gets its key file from serve, never beside a database", async () => {
  const toml =
    '[vault]\nmaster_key = "file:keys/master.key"\n[database]\nurl = "file:data/securix.db"\n';
  await withDir(toml, async (dir) => {
    // Other commands create nothing and name the missing file.
    const missing = await loadError(dir);
    assert.match(missing, /vault\.master_key: file .*keys\/master\.key does not exist/);
    assert.equal(await exists(`${dir}/keys`), false);

    const first = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    assert.deepEqual(first.notes, [
      `Created data directory ${dir}/keys`,
      `Generated master key ${dir}/keys/master.key (mode 0600); back it up, the vault cannot be opened without it`,
    ]);
    assert.equal((await Deno.stat(`${dir}/keys/master.key`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/keys`)).mode! & 0o777, 0o700);
    await Deno.mkdir(`${dir}/data`);
    const appliance = await openAppliance(first.config, { create: true });
    appliance.close();
    const again = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    assert.deepEqual(again.notes, []);
    assert.deepEqual(again.config.vault.masterKey, first.config.vault.masterKey);

    // The key lost while the database exists: refused, with how to get the key back.
    await Deno.remove(`${dir}/keys/master.key`);
    const error = await loadConfig({ cwd: dir, env: () => undefined, create: true }).then(
      () => null,
      (e) => e,
    );
    assert.ok(error instanceof SecurixError, `expected SecurixError, got ${error}`);
    assert.equal(error.code, "SX-MASTER-KEY-MISSING");
    assert.match(error.message, /copy the key file back from wherever you kept it/);
    assert.match(
      error.message,
      /--include-key, run "securix restore BACKUP --force --passphrase-file FILE"/,
    );
    assert.equal(await exists(`${dir}/keys/master.key`), false, "no new key written");
  });
});

Deno.test("serve: a mistake anywhere in a hand-written securix.toml stops the first start before it creates a key or a data directory", async () => {
  const toml = '[vault]\nmaster_key = "file:keys/master.key"\n' +
    '[database]\nurl = "file:data/securix.db"\n' +
    "[server]\nlisten = 8080\n[providers.gmail]\nclient_id = 5\n";
  await withDir(toml, async (dir) => {
    const { io, err } = captureIo();
    const code = await runCli(["--config", `${dir}/securix.toml`, "serve"], io);
    assert.equal(code, 2, "a config error");
    const said = err.join("\n");
    assert.match(said, /server\.listen: expected "host:port", got 8080/);
    assert.match(said, /providers\.gmail/);
    assert.doesNotMatch(said, /master_key/, "the key that is not there yet is not the mistake");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["securix.toml"],
      "no keys/ directory, no key file, no data/ directory",
    );
  });
  // The embedded defaults with a bad override: no securix-data/ either.
  await withDir(null, async (dir) => {
    const error = await loadConfig({
      cwd: dir,
      env: (n) => n === "SECURIX_SERVER_LISTEN" ? "nowhere" : undefined,
      create: true,
    }).then(() => null, (e) => e);
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${error}`);
    assert.match(error.message, /SECURIX_SERVER_LISTEN/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("serve: a libSQL server database gets its missing key file on a fresh install, never beside a vault", async () => {
  const url = "libsql://db.example.invalid?authToken=not-shown";
  const toml = `[vault]\nmaster_key = "file:keys/master.key"\n[database]\nurl = "${url}"\n`;
  await withDir(toml, async (dir) => {
    // The server stands in as a real libSQL database in a file; serve's check asks it.
    const server = await openDatabase({ url: `file:${dir}/server.db`, create: true });
    try {
      const asked: string[] = [];
      const serve = () =>
        loadConfig({
          cwd: dir,
          env: () => undefined,
          create: true,
          serverHoldsVault: (database) => {
            asked.push(database.url);
            return serverHoldsVault({ url: `file:${dir}/server.db`, authToken: null });
          },
        });
      const first = await serve();
      assert.deepEqual(asked, [url], "the server as validated, asked once");
      assert.match(first.notes.join("\n"), /Generated master key .*keys\/master\.key/);
      assert.equal(first.config.database.url, url);
      assert.equal((await Deno.stat(`${dir}/keys/master.key`)).mode! & 0o777, 0o600);
      const again = await serve();
      assert.deepEqual(again.notes, []);
      assert.equal(asked.length, 1, "a key in place: the server is not asked");

      // The server holds a vault and the key is lost: refused, nothing written.
      await migrate(server.client, MIGRATIONS);
      await Keyring.open(server, first.config.vault.masterKey);
      await Deno.remove(`${dir}/keys/master.key`);
      const error = await serve().then(() => null, (e) => e);
      assert.ok(error instanceof SecurixError, `expected SecurixError, got ${error}`);
      assert.equal(error.code, "SX-MASTER-KEY-MISSING");
      assert.match(error.message, /libsql:\/\/db\.example\.invalid already holds a vault/);
      assert.doesNotMatch(error.message, /not-shown/);
      assert.equal(await exists(`${dir}/keys/master.key`), false, "no new key written");
    } finally {
      server.close();
    }
  });
});

Deno.test("config: --config beats $SECURIX_CONFIG beats ./securix.toml", async () => {
  await withDir(
    '[server]\nbase_domain = "local.example"\n[vault]\nmaster_key = "env:MK"\n',
    async (dir) => {
      await Deno.writeTextFile(
        `${dir}/other.toml`,
        '[server]\nbase_domain = "other.example"\n[vault]\nmaster_key = "env:MK"\n',
      );
      await Deno.writeTextFile(
        `${dir}/third.toml`,
        '[server]\nbase_domain = "third.example"\n[vault]\nmaster_key = "env:MK"\n',
      );
      const env: Record<string, string> = { MK: KEY };
      const local = await loadConfig({ cwd: dir, env: (n) => env[n] });
      assert.equal(local.config.server.base_domain, "local.example");
      env.SECURIX_CONFIG = `${dir}/other.toml`;
      const fromEnv = await loadConfig({ cwd: dir, env: (n) => env[n] });
      assert.equal(fromEnv.config.server.base_domain, "other.example");
      const explicit = await loadConfig({ cwd: dir, path: "third.toml", env: (n) => env[n] });
      assert.equal(explicit.config.server.base_domain, "third.example");
    },
  );
});

Deno.test("config: resolved config is frozen", async () => {
  await withDir(null, async (dir) => {
    const { config } = await loadConfig({ cwd: dir, env: () => undefined, create: true });
    assert.throws(() => {
      (config.server as { base_domain: string }).base_domain = "x";
    });
  });
});

Deno.test("config: trust_proxy is true (loopback), false (nobody) or a list of addresses/CIDRs", async () => {
  const load = async (line: string, env: Record<string, string> = {}) => {
    let trusted: readonly string[] = [];
    await withDir(`[server]\n${line}\n[vault]\nmaster_key = "env:MK"\n`, async (dir) => {
      const { config } = await loadConfig({ cwd: dir, env: (n) => ({ MK: KEY, ...env })[n] });
      trusted = config.server.trustedProxies;
    });
    return trusted;
  };
  assert.deepEqual(await load("trust_proxy = true"), ["127.0.0.0/8", "::1/128"]);
  assert.deepEqual(await load("trust_proxy = false"), []);
  assert.deepEqual(await load(""), []);
  assert.deepEqual(await load('trust_proxy = ["127.0.0.1/32", "10.0.0.0/8", "fd00::1"]'), [
    "127.0.0.1/32",
    "10.0.0.0/8",
    "fd00::1",
  ]);
  assert.deepEqual(
    await load("", { SECURIX_SERVER_TRUST_PROXY: "127.0.0.1/32, 10.0.0.0/8" }),
    ["127.0.0.1/32", "10.0.0.0/8"],
  );
  await withDir('[server]\ntrust_proxy = ["10.0.0.0/33"]\n', async (dir) => {
    assert.match(
      await loadError(dir, { SECURIX_VAULT_MASTER_KEY: KEY }),
      /trust_proxy.*expected an IP address or CIDR range, got "10\.0\.0\.0\/33"/,
    );
  });
});

Deno.test("config: [auth_lockout] defaults and overrides", async () => {
  await withDir('[auth_lockout]\nwindow_s = 30\n[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const env: Record<string, string> = { MK: KEY, SECURIX_AUTH_LOCKOUT_MAX_FAILURES: "5" };
    const { config } = await loadConfig({ cwd: dir, env: (n) => env[n] });
    assert.deepEqual(config.auth_lockout, { max_failures: 5, window_s: 30, max_addresses: 10_000 });
  });
});

Deno.test('config: [server] workers is a count or "auto", "auto" by default, and has an override', async () => {
  await withDir('[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    const plain = await loadConfig({
      cwd: dir,
      env: (n) => ({ MK: KEY } as Record<string, string>)[n],
    });
    assert.equal(plain.config.server.workers, "auto");
    for (const [value, expected] of [["4", 4], ["1", 1], ["auto", "auto"]] as const) {
      const env: Record<string, string> = { MK: KEY, SECURIX_SERVER_WORKERS: value };
      const { config } = await loadConfig({ cwd: dir, env: (n) => env[n] });
      assert.equal(config.server.workers, expected);
    }
    for (const bad of ["0", "many"]) {
      const message = await loadError(dir, { MK: KEY, SECURIX_SERVER_WORKERS: bad });
      assert.match(message, /SECURIX_SERVER_WORKERS: expected "auto" or a whole number/);
    }
  });
  await withDir('[server]\nworkers = 1.5\n[vault]\nmaster_key = "env:MK"\n', async (dir) => {
    assert.match(await loadError(dir, { MK: KEY }), /server\.workers: expected "auto"/);
  });
});

Deno.test("config: a file in rules.d other than rules.toml is warned about, not silently ignored", async () => {
  await withDir(`[vault]\nmaster_key = "env:MK"\n`, async (dir) => {
    const load = () =>
      loadConfig({ path: `${dir}/securix.toml`, env: (n) => n === "MK" ? KEY : undefined });
    await Deno.mkdir(`${dir}/rules.d`);
    await Deno.writeTextFile(`${dir}/rules.d/rules.toml`, "");
    await Deno.writeTextFile(`${dir}/rules.d/rules.toml.0f3c.partial`, "");
    await Deno.writeTextFile(`${dir}/rules.d/.rules.toml.swp`, "");
    await Deno.writeTextFile(`${dir}/rules.d/rules.toml~`, "");
    await Deno.writeTextFile(`${dir}/rules.d/#rules.toml#`, "");
    assert.deepEqual(
      (await load()).warnings,
      [],
      "the console's file, a save in flight, an editor's swap and backup",
    );
    await Deno.writeTextFile(`${dir}/rules.d/10-extra.toml`, `[[rules]]\nname = "x"\n`);
    assert.deepEqual((await load()).warnings, [
      `Warning: ${dir}/rules.d/10-extra.toml is not read: only rules.d/rules.toml is (rules.d ` +
      "is not a drop-in directory); rules in it have no effect until they are in that file or " +
      "securix.toml.",
    ]);
  });
});
