import assert from "node:assert/strict";
import {
  covers,
  directive,
  parseUnit,
  readInstalledUnit,
  renderUnit,
  stopTimeoutSeconds,
  systemdWord,
  type UnitInputs,
  unitInputsFromConfig,
  unitWords,
} from "./systemd_unit.ts";

const inputs = (over: Partial<UnitInputs> = {}): UnitInputs => ({
  binaryPath: "/usr/local/bin/securix",
  configPath: "/etc/securix/securix.toml",
  user: "securix",
  dataDir: "/var/lib/securix/securix-data",
  ports: [8080, 9464],
  shutdownTimeoutMs: 10_000,
  ...over,
});

const service = (text: string, key: string) => directive(parseUnit(text), "Service", key);

Deno.test("renderUnit: every hardening directive; the data directory and rules.d are the only writable paths", () => {
  const text = renderUnit(inputs());
  const expected: Record<string, string> = {
    User: "securix",
    Group: "securix",
    ExecStart: "/usr/local/bin/securix serve --config /etc/securix/securix.toml",
    ExecReload: "/bin/kill -HUP $MAINPID",
    WorkingDirectory: "/etc/securix",
    ProtectSystem: "strict",
    ProtectHome: "true",
    PrivateTmp: "true",
    NoNewPrivileges: "true",
    LimitNOFILE: "65536",
    Restart: "on-failure",
    RestartSec: "2",
    KillSignal: "SIGTERM",
    TimeoutStopSec: "15",
    CapabilityBoundingSet: "",
    RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
    SystemCallArchitectures: "native",
    LockPersonality: "true",
    ProtectKernelTunables: "true",
    ProtectKernelModules: "true",
    ProtectControlGroups: "true",
    RestrictNamespaces: "true",
    RestrictRealtime: "true",
    RestrictSUIDSGID: "true",
    UMask: "0077",
  };
  for (const [key, value] of Object.entries(expected)) {
    assert.equal(service(text, key), value, key);
  }
  // The data directory, then the console's rules editor's directory: rules.d beside
  // securix.toml (optional, "-"), never securix.toml's own directory.
  assert.deepEqual(parseUnit(text).get("Service")!.get("ReadWritePaths"), [
    "/var/lib/securix/securix-data",
    "-/etc/securix/rules.d",
  ]);
  assert.deepEqual(readInstalledUnit(text).readWritePaths, [
    "/var/lib/securix/securix-data",
    "/etc/securix/rules.d",
  ]);
  assert.ok(
    !readInstalledUnit(text).readWritePaths.some((p) => covers(p, "/etc/securix")),
    "securix.toml's directory is writable: the service could rewrite its own config",
  );
  const keys = [...parseUnit(text).get("Service")!.keys()];
  assert.equal(keys.includes("MemoryDenyWriteExecute"), false, "V8's JIT needs W+X memory");
  assert.equal(keys.includes("AmbientCapabilities"), false);
  assert.equal(keys.includes("Environment"), false, "no secret in the unit");
  assert.equal(directive(parseUnit(text), "Install", "WantedBy"), "multi-user.target");
});

Deno.test("renderUnit: a port below 1024 keeps CAP_NET_BIND_SERVICE and nothing else", () => {
  const text = renderUnit(inputs({ ports: [443, 9464] }));
  assert.equal(service(text, "CapabilityBoundingSet"), "CAP_NET_BIND_SERVICE");
  assert.equal(service(text, "AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
  const metricsLow = renderUnit(inputs({ ports: [8080, 80] }));
  assert.equal(service(metricsLow, "AmbientCapabilities"), "CAP_NET_BIND_SERVICE");
});

Deno.test("renderUnit: a libSQL server leaves only rules.d writable; stop timeout follows shutdown", () => {
  const text = renderUnit(inputs({ dataDir: null, shutdownTimeoutMs: 30_500 }));
  assert.deepEqual(readInstalledUnit(text).readWritePaths, ["/etc/securix/rules.d"]);
  assert.equal(service(text, "ProtectSystem"), "strict");
  assert.equal(service(text, "TimeoutStopSec"), "36");
  assert.ok(stopTimeoutSeconds(10_000) * 1000 > 10_000);
});

Deno.test("renderUnit: rules.d once, never in a shared system directory", () => {
  // Config inside the data directory: that one line covers rules.d too.
  const inside = renderUnit(inputs({
    configPath: "/var/lib/securix/securix-data/securix.toml",
  }));
  assert.deepEqual(readInstalledUnit(inside).readWritePaths, ["/var/lib/securix/securix-data"]);
  // The README's layout: data inside the config directory; both lines, as systemd allows.
  const nested = renderUnit(inputs({ dataDir: "/etc/securix/securix-data" }));
  assert.deepEqual(readInstalledUnit(nested).readWritePaths, [
    "/etc/securix/securix-data",
    "/etc/securix/rules.d",
  ]);
  // securix.toml straight in /etc (or /opt, /): /etc stays read-only, and the unit says why.
  for (const dir of ["/etc", "/opt", "/usr/local/etc", ""]) {
    const shared = renderUnit(inputs({ configPath: `${dir}/securix.toml` }));
    assert.deepEqual(readInstalledUnit(shared).readWritePaths, ["/var/lib/securix/securix-data"]);
    assert.match(
      shared,
      /rules editor cannot save rules\.toml; keep securix\.toml\n# in a directory/,
    );
  }
});

Deno.test("systemdWord/unitWords: paths with spaces, % and $ survive a round trip", () => {
  const odd = '/srv/my data/100%/$HOME/"q"';
  assert.equal(systemdWord("/plain/path"), "/plain/path");
  assert.equal(systemdWord("/a%b"), "/a%%b");
  // systemd expands $NAME in ExecStart: a literal $ is doubled.
  assert.equal(systemdWord("/a$b"), "/a$$b");
  const text = renderUnit(inputs({ configPath: `${odd}/securix.toml`, dataDir: `${odd}/data` }));
  const installed = readInstalledUnit(text);
  assert.equal(installed.configPath, `${odd}/securix.toml`);
  assert.deepEqual(installed.readWritePaths, [`${odd}/data`, `${odd}/rules.d`]);
  assert.deepEqual(unitWords('a "b c" d'), ["a", "b c", "d"]);
});

Deno.test("readInstalledUnit and covers: what doctor compares", () => {
  const installed = readInstalledUnit(renderUnit(inputs()));
  assert.deepEqual(installed, {
    binaryPath: "/usr/local/bin/securix",
    configPath: "/etc/securix/securix.toml",
    user: "securix",
    readWritePaths: ["/var/lib/securix/securix-data", "/etc/securix/rules.d"],
    limitNofile: 65536,
  });
  assert.equal(readInstalledUnit("[Service]\nLimitNOFILE=1024:4096\n").limitNofile, 1024);
  assert.equal(readInstalledUnit("[Service]\nLimitNOFILE=infinity\n").limitNofile, Infinity);
  assert.ok(covers("/var/lib/securix", "/var/lib/securix/securix-data"));
  assert.ok(covers("/var/lib/securix/", "/var/lib/securix"));
  assert.ok(!covers("/var/lib/sec", "/var/lib/securix"));
  assert.throws(() => parseUnit("ExecStart=/x\n"), /not unit syntax/);
});

Deno.test("unitInputsFromConfig: config path, data dir and both ports from the config", () => {
  const config = {
    source: "/etc/securix/securix.toml",
    server: {
      listenAddress: { hostname: "0.0.0.0", port: 443 },
      metricsAddress: { hostname: "127.0.0.1", port: 9464 },
      shutdown_timeout_ms: 10_000,
    },
    database: {
      url: "file:/var/lib/securix/db/securix.db",
      filePath: "/var/lib/securix/db/securix.db",
    },
  } as unknown as Parameters<typeof unitInputsFromConfig>[0];
  assert.deepEqual(unitInputsFromConfig(config, { binaryPath: "/b", user: "u" }), {
    binaryPath: "/b",
    configPath: "/etc/securix/securix.toml",
    user: "u",
    dataDir: "/var/lib/securix/db",
    ports: [443, 9464],
    shutdownTimeoutMs: 10_000,
  });
  assert.throws(() =>
    unitInputsFromConfig({ ...config, source: null }, { binaryPath: "/b", user: "u" })
  );
});

// The real checker: systemd-analyze verify (unknown keys, bad values, a missing
// binary) and its offline security score.
function hasSystemdAnalyze(): boolean {
  try {
    return new Deno.Command("systemd-analyze", { args: ["--version"], stdout: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}
const ANALYZE = hasSystemdAnalyze();
if (!ANALYZE) {
  console.warn("systemd_unit_test: systemd-analyze not found (apt-get install systemd)");
}

async function analyze(args: string[]) {
  const out = await new Deno.Command("systemd-analyze", { args, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test({
  name: "renderUnit: systemd-analyze verify accepts it silently, and rates it well exposed-wise",
  ignore: !ANALYZE,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "securix-unit-" });
    try {
      // verify checks that ExecStart is executable, so a real file stands in for the binary.
      const binary = `${dir}/bin dir/securix`;
      await Deno.mkdir(`${dir}/bin dir`);
      await Deno.writeTextFile(binary, "#!/bin/sh\n", { mode: 0o755 });
      for (const ports of [[8080, 9464], [443, 9464]]) {
        for (const dataDir of [`${dir}/data`, null]) {
          const path = `${dir}/securix.service`;
          await Deno.writeTextFile(
            path,
            renderUnit(inputs({ binaryPath: binary, ports, dataDir, configPath: `${dir}/s.toml` })),
          );
          const verified = await analyze(["verify", path]);
          assert.equal(verified.code, 0, verified.stderr);
          assert.equal(verified.stderr.trim(), "", "no warning (unknown key, bad value)");
          const security = await analyze(["security", "--offline=true", path]);
          const score = /Overall exposure level for securix\.service: ([0-9.]+)/.exec(
            security.stdout + security.stderr,
          );
          assert.ok(score, security.stdout + security.stderr);
          assert.ok(Number(score[1]) <= 3, `exposure ${score[1]}:\n${security.stdout}`);
        }
      }
      // The check is real: an unknown directive is reported.
      const path = `${dir}/securix.service`;
      await Deno.writeTextFile(
        path,
        renderUnit(inputs({ binaryPath: binary })) + "[Service]\nBogus=1\n",
      );
      assert.match((await analyze(["verify", path])).stderr, /Unknown key 'Bogus'/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
