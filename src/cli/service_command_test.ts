import assert from "node:assert/strict";
import type { CliIo } from "./io.ts";
import { runCli } from "./main.ts";
import {
  defaultBinaryPath,
  hiddenFromService,
  nextCommands,
  serviceName,
  unitDifferences,
} from "./service_command.ts";
import { directive, parseUnit, readInstalledUnit, type UnitInputs } from "./systemd_unit.ts";

const TOML = `
[server]
listen = "127.0.0.1:8080"
public_url = "https://securix.example.test"

[database]
url = "file:data/securix.db"

[vault]
master_key = "env:SERVICE_TEST_KEY_NOT_SET"
`;

/** `securix --config <dir>/securix.toml service …` in-process, output captured. */
async function run(dir: string, args: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => out += t + "\n",
    err: (t) => err += t + "\n",
    env: (name) => env[name],
    envNames: () => Object.keys(env),
    cwd: () => dir,
  };
  const code = await runCli(["--config", `${dir}/securix.toml`, "service", ...args], io);
  return { code, out, err };
}

async function withConfig(fn: (dir: string) => Promise<void>, toml = TOML): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-service-" });
  try {
    await Deno.writeTextFile(`${dir}/securix.toml`, toml);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const BIN = ["--binary", "/usr/local/bin/securix"];

Deno.test("service install --dry-run: prints the unit for this config, writes nothing", async () => {
  await withConfig(async (dir) => {
    const unitPath = `${dir}/units/securix.service`;
    const result = await run(dir, ["install", "--dry-run", "--unit-path", unitPath, ...BIN]);
    assert.equal(result.code, 0, result.err);
    const unit = parseUnit(result.out);
    assert.equal(
      directive(unit, "Service", "ExecStart"),
      `/usr/local/bin/securix serve --config ${dir}/securix.toml`,
    );
    assert.deepEqual(unit.get("Service")!.get("ReadWritePaths"), [
      `${dir}/data`,
      `-${dir}/rules.d`,
    ]);
    assert.equal(directive(unit, "Service", "User"), "securix");
    assert.match(result.err, /useradd --system .* securix$/m);
    assert.match(
      result.err,
      /systemctl daemon-reload && systemctl enable securix && systemctl restart securix$/m,
    );
    await assert.rejects(Deno.stat(unitPath), Deno.errors.NotFound);
    // The config and data are under /tmp, which the unit hides: said as the real install says
    // it, on stderr, so the printed unit stays clean.
    for (const path of [`${dir}/securix.toml`, `${dir}/data`]) {
      assert.ok(
        result.err.includes(
          `warning: ${path} is under /home, /root, /run/user or /tmp, which the unit hides`,
        ),
        result.err,
      );
    }
    assert.doesNotMatch(result.out, /warning/);
  });
});

Deno.test("service install: a bad SECURIX_* override is blamed on its variable, an unknown one warned about, as serve does", async () => {
  await withConfig(async (dir) => {
    const args = ["install", "--dry-run", "--unit-path", `${dir}/u.service`, ...BIN];
    const bad = await run(dir, args, { SECURIX_SERVER_LISTEN: "8080" });
    assert.equal(bad.code, 2, bad.err);
    assert.equal(
      bad.err.trim(),
      'Invalid environment variable SECURIX_SERVER_LISTEN: expected "host:port", got "8080"',
    );
    const typo = await run(dir, args, { SECURIX_SERVER_LISTN: "1" });
    assert.equal(typo.code, 0, typo.err);
    assert.match(
      typo.err,
      /^Warning: SECURIX_SERVER_LISTN is not a setting and is ignored — did you mean SECURIX_SERVER_LISTEN\?$/m,
    );
  });
});

Deno.test("service install: writes the unit, is idempotent, refuses a different one without --force", async () => {
  await withConfig(async (dir) => {
    const unitPath = `${dir}/units/securix.service`;
    const first = await run(dir, ["install", "--unit-path", unitPath, ...BIN]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, new RegExp(`^Wrote ${unitPath}$`, "m"));
    assert.match(first.out, new RegExp(`chown -hR securix:securix ${dir}/data$`, "m"));
    assert.match(
      first.out,
      /^ {2}systemctl daemon-reload && systemctl enable securix && systemctl restart securix$/m,
    );
    const written = await Deno.readTextFile(unitPath);
    assert.equal((await Deno.stat(unitPath)).mode! & 0o777, 0o644);
    assert.equal(readInstalledUnit(written).configPath, `${dir}/securix.toml`);

    const again = await run(dir, ["install", "--unit-path", unitPath, ...BIN]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /is already this unit; nothing changed/);

    const other = await run(dir, ["install", "--unit-path", unitPath, "--user", "sx", ...BIN]);
    assert.equal(other.code, 1);
    assert.match(other.err, /SX-SERVICE-UNIT-EXISTS/);
    assert.match(other.err, /^- User=securix$/m);
    assert.match(other.err, /^\+ User=sx$/m);
    assert.equal(await Deno.readTextFile(unitPath), written, "left as it was");

    const forced = await run(dir, ["install", "--unit-path", unitPath, "--user", "sx", "--force"]);
    assert.equal(forced.code, 0, forced.err);
    assert.equal(readInstalledUnit(await Deno.readTextFile(unitPath)).user, "sx");
    // Under `deno run` the unit runs the installed release binary, not deno.
    assert.equal(
      readInstalledUnit(await Deno.readTextFile(unitPath)).binaryPath,
      "/usr/local/bin/securix",
    );
  });
});

Deno.test("service status: not installed, matches, then differs after the config moves its data", async () => {
  await withConfig(async (dir) => {
    const unitPath = `${dir}/securix.service`;
    const none = await run(dir, ["status", "--unit-path", unitPath]);
    assert.equal(none.code, 1);
    assert.match(none.err, /SX-SERVICE-NOT-INSTALLED: no unit at/);

    const custom = ["--binary", "/opt/securix/securix", "--user", "broker"];
    assert.equal((await run(dir, ["install", "--unit-path", unitPath, ...custom])).code, 0);
    const same = await run(dir, ["status", "--unit-path", unitPath]);
    assert.equal(same.code, 0, same.err);
    assert.match(same.out, /is installed and matches the config .*securix\.toml/);

    await Deno.writeTextFile(
      `${dir}/securix.toml`,
      TOML.replace("file:data/securix.db", "file:elsewhere/securix.db"),
    );
    const moved = await run(dir, ["status", "--unit-path", unitPath]);
    assert.equal(moved.code, 1);
    assert.match(moved.out, new RegExp(`^ {2}- ReadWritePaths=${dir}/data$`, "m"));
    assert.match(moved.out, new RegExp(`^ {2}\\+ ReadWritePaths=${dir}/elsewhere$`, "m"));
    assert.match(moved.err, /SX-SERVICE-UNIT-DIFFERS: rewrite it with "securix --config/);
  });
});

Deno.test("service install: a port below 1024 keeps CAP_NET_BIND_SERVICE; bad flags are refused", async () => {
  await withConfig(async (dir) => {
    const low = await run(dir, ["install", "--dry-run", ...BIN]);
    assert.equal(low.code, 0, low.err);
    assert.equal(
      directive(parseUnit(low.out), "Service", "AmbientCapabilities"),
      "CAP_NET_BIND_SERVICE",
    );
    const user = await run(dir, ["install", "--dry-run", "--user", "Root!", ...BIN]);
    assert.match(user.err, /SX-SERVICE-BAD-USER/);
    const relative = await run(dir, ["install", "--dry-run", "--binary", "securix"]);
    assert.match(relative.err, /SX-SERVICE-BAD-BINARY/);
  }, TOML.replace("127.0.0.1:8080", "0.0.0.0:443"));
  const dir = await Deno.makeTempDir();
  try {
    const io: CliIo = { out: () => {}, err: () => {}, env: () => undefined, cwd: () => dir };
    let err = "";
    io.err = (t) => err += t;
    assert.equal(await runCli(["service", "install", "--dry-run"], io), 1);
    assert.match(err, /SX-SERVICE-NO-CONFIG/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("service helpers: binary default, unit name, ProtectHome warning, next commands", () => {
  assert.equal(defaultBinaryPath("/root/.deno/bin/deno"), "/usr/local/bin/securix");
  assert.equal(defaultBinaryPath("/opt/securix/securix"), "/opt/securix/securix");
  assert.equal(serviceName("/etc/systemd/system/securix-eu.service"), "securix-eu");
  const inputs: UnitInputs = {
    binaryPath: "/usr/local/bin/securix",
    configPath: "/root/securix/securix.toml",
    user: "securix",
    dataDir: "/var/lib/securix",
    ports: [8080],
    shutdownTimeoutMs: 10_000,
  };
  assert.deepEqual(hiddenFromService(inputs), ["/root/securix/securix.toml"]);
  assert.deepEqual(hiddenFromService({ ...inputs, dataDir: "/tmp/x", configPath: "/etc/s" }), [
    "/tmp/x",
  ]);
  const commands = nextCommands(inputs, {
    unitPath: "/etc/systemd/system/securix.service",
    keyFile: "/etc/securix/master key",
  });
  assert.match(commands[0], /useradd --system --user-group --home-dir \/var\/lib\/securix/);
  // The group-writable config directory of a release before rules.d is taken back first: with
  // its sticky bit the service could still swap its own files there (the key) for links.
  assert.equal(
    commands[1],
    'if [ "$(stat -c %G /root/securix)" = securix ]; then chgrp root /root/securix && ' +
      "chmod g-w,-t /root/securix; fi",
  );
  assert.equal(commands[2], "chown -hR securix:securix /var/lib/securix");
  // The key as service install resolved it; a link put in its place since is not followed.
  assert.equal(commands[3], "chown -h securix:securix '/etc/securix/master key'");
  // rules.d: the service's own directory; securix.toml's directory is left as it is (root's).
  assert.equal(commands[4], "install -d -o securix -g securix -m 0700 /root/securix/rules.d");
  // A rules.toml from before rules.d moves in (never over one already there, never through a
  // link: tests/service_commands_links_test.ts runs them against planted links).
  assert.equal(
    commands[5],
    "if [ -f /root/securix/rules.toml ] && [ ! -L /root/securix/rules.toml ] && " +
      '[ "$(stat -c %h /root/securix/rules.toml)" = 1 ] && ' +
      "[ ! -e /root/securix/rules.d/rules.toml ] && [ ! -L /root/securix/rules.d/rules.toml ]; " +
      "then chown -h securix:securix /root/securix/rules.toml && " +
      "mv -nT /root/securix/rules.toml /root/securix/rules.d/rules.toml; fi",
  );
  // A running service mounts rules.d writable only when it starts: restart, not enable --now.
  assert.equal(
    commands[6],
    "systemctl daemon-reload && systemctl enable securix && systemctl restart securix",
  );
  assert.equal(
    commands.some((c) =>
      /(chown|chgrp) (-\w+ )?securix[^|;]* \/root\/securix($| |;)/.test(c) ||
      /chmod [^ ]*\+[^ ]*w[^|;]* \/root\/securix($| |;)/.test(c)
    ),
    false,
    "securix.toml's directory is never handed to the service",
  );
  assert.equal(
    nextCommands({ ...inputs, configPath: "/etc/securix.toml" }, {
      unitPath: "/x/securix.service",
      keyFile: null,
    }).some((c) => c.includes("rules")),
    false,
    "never /etc itself, nor /etc/rules.d",
  );
  assert.equal(
    nextCommands(inputs, { unitPath: "/x/securix.service", keyFile: "/var/lib/securix/k" })
      .some((c) => c.includes("/var/lib/securix/k")),
    false,
    "a key inside the data dir is covered by chown -R",
  );
  assert.deepEqual(unitDifferences("[S]\nA=1\n# c\n", "[S]\nA=2\n"), ["- A=1", "+ A=2"]);
});
