import assert from "node:assert/strict";
import { readUnitText, systemdUnitCheck } from "./doctor_systemd_check.ts";
import { renderUnit, type UnitInputs } from "./systemd_unit.ts";

const PATH = "/etc/systemd/system/securix.service";
const inputs: UnitInputs = {
  binaryPath: "/usr/local/bin/securix",
  configPath: "/etc/securix/securix.toml",
  user: "securix",
  dataDir: "/var/lib/securix",
  ports: [8080, 9464],
  shutdownTimeoutMs: 10_000,
};
const expected = { configPath: "/etc/securix/securix.toml", dataDir: "/var/lib/securix/data" };

Deno.test("systemd unit check: no unit installed, no line", () => {
  assert.equal(systemdUnitCheck(PATH, null, expected), null);
});

Deno.test("systemd unit check: ok when the unit runs this config and may write its data", () => {
  const result = systemdUnitCheck(PATH, renderUnit(inputs), expected);
  assert.equal(result?.status, "ok", String(result?.detail));
  assert.match(
    result!.detail,
    /may write \/var\/lib\/securix\/data \(data\), may write \/etc\/securix \(rules\.toml\), LimitNOFILE 65536$/,
  );
  assert.equal(result!.fix, null);
});

Deno.test("systemd unit check: warns when the unit keeps rules.toml's directory read-only (the console cannot save rules)", () => {
  // A unit written before rules.toml's directory was made writable: the data directory only.
  const old = renderUnit(inputs).split("\n").filter((l) => l !== "ReadWritePaths=/etc/securix")
    .join("\n");
  assert.notEqual(old, renderUnit(inputs), "the current unit does cover it");
  const result = systemdUnitCheck(PATH, old, expected);
  assert.equal(result?.status, "warn");
  assert.match(
    result!.detail,
    /^\S+: ReadWritePaths \(\/var\/lib\/securix\) does not cover \/etc\/securix, where the console's rules editor writes rules\.toml \(a temp file renamed over it, so the directory must be writable\): saving rules in the console fails$/,
  );
  assert.match(result!.fix!, /service install --force && systemctl daemon-reload/);
  // Covering only the file is not enough: the temp file is created beside it.
  const fileOnly = old.replace(
    "ReadWritePaths=/var/lib/securix",
    "ReadWritePaths=/var/lib/securix /etc/securix/rules.toml",
  );
  assert.equal(systemdUnitCheck(PATH, fileOnly, expected)?.status, "warn");
  // A config in a shared directory: the unit leaves it read-only, and doctor says to move it.
  const shared = systemdUnitCheck(
    PATH,
    renderUnit({ ...inputs, configPath: "/etc/securix.toml" }),
    { ...expected, configPath: "/etc/securix.toml" },
  );
  assert.equal(shared?.status, "warn");
  assert.match(
    shared!.detail,
    /does not cover \/etc, where .*move securix\.toml into a directory of its own/,
  );
});

Deno.test("systemd unit check: warns with the fix for another config, data dir or a low limit", () => {
  const other = systemdUnitCheck(
    PATH,
    renderUnit({ ...inputs, configPath: "/opt/securix.toml", dataDir: "/opt/data" }),
    expected,
  );
  assert.equal(other?.status, "warn");
  assert.match(other!.detail, /ExecStart runs serve --config \/opt\/securix\.toml, not \/etc/);
  assert.match(
    other!.detail,
    /ReadWritePaths \(\/opt\/data\) does not cover .*\/var\/lib\/securix\/data/,
  );
  assert.match(
    other!.fix!,
    /^securix --config \/etc\/securix\/securix\.toml service install --force && systemctl daemon-reload/,
  );
  const low = systemdUnitCheck(
    PATH,
    renderUnit(inputs).replace("LimitNOFILE=65536", "LimitNOFILE=1024"),
    expected,
  );
  assert.equal(low?.status, "warn");
  assert.match(low!.detail, /^\S+: LimitNOFILE is 1024, below 4096$/);
  const unset = systemdUnitCheck(
    PATH,
    "[Service]\nExecStart=/x serve --config /etc/securix/securix.toml\nReadWritePaths=/var/lib\n",
    expected,
  );
  assert.match(unset!.detail, /LimitNOFILE is unset/);
  assert.equal(systemdUnitCheck(PATH, "garbage", expected)?.status, "warn");
});

Deno.test("systemd unit check: skipped when the config does not load; a server database needs no path", () => {
  assert.equal(systemdUnitCheck(PATH, renderUnit(inputs), null)?.status, "skip");
  const server = systemdUnitCheck(
    PATH,
    renderUnit({ ...inputs, dataDir: null }),
    { configPath: inputs.configPath, dataDir: null },
  );
  assert.equal(server?.status, "ok", String(server?.detail));
});

Deno.test("readUnitText: null for a missing file, the text otherwise", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal(await readUnitText(`${dir}/none.service`), null);
    await Deno.writeTextFile(`${dir}/a.service`, "[Unit]\n");
    assert.equal(await readUnitText(`${dir}/a.service`), "[Unit]\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
