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
    /may write \/var\/lib\/securix\/data \(data\), may write \/etc\/securix\/rules\.d \(rules\.toml\), LimitNOFILE 65536$/,
  );
  assert.equal(result!.fix, null);
  const onDisk = { dirExists: true, legacy: "none" as const };
  assert.equal(
    systemdUnitCheck(PATH, renderUnit(inputs), { ...expected, rulesFiles: onDisk })?.status,
    "ok",
  );
});

Deno.test("systemd unit check: a unit that makes securix.toml's directory writable warns (it could rewrite its config)", () => {
  // The unit written before rules.d: the whole config directory, for rules.toml beside it.
  const old = renderUnit(inputs).replace(
    "ReadWritePaths=-/etc/securix/rules.d",
    "ReadWritePaths=/etc/securix",
  );
  assert.notEqual(old, renderUnit(inputs));
  const result = systemdUnitCheck(PATH, old, expected);
  assert.equal(result?.status, "warn");
  assert.equal(
    result!.detail,
    `${PATH}: ReadWritePaths makes /etc/securix writable, where securix.toml is: a compromised ` +
      "service could rewrite its own config (master key reference, listen, providers); only " +
      "/etc/securix/rules.d needs to be",
  );
  assert.match(
    result!.fix!,
    /^securix --config \/etc\/securix\/securix\.toml service install --force && systemctl daemon-reload/,
  );
  // A parent of it is as wide; the data directory beside it is not.
  const parent = renderUnit(inputs).replace(
    "ReadWritePaths=-/etc/securix/rules.d",
    "ReadWritePaths=/etc",
  );
  assert.match(systemdUnitCheck(PATH, parent, expected)!.detail, /makes \/etc writable/);
  // Config inside the data directory: that allowance is the data's, rendered as such.
  const inside = {
    configPath: "/var/lib/securix/data/securix.toml",
    dataDir: "/var/lib/securix/data",
  };
  const insideUnit = renderUnit({ ...inputs, ...inside });
  assert.equal(systemdUnitCheck(PATH, insideUnit, inside)?.status, "ok");
});

Deno.test("systemd unit check: warns when the unit keeps rules.d read-only (the console cannot save rules)", () => {
  // A unit with the data directory only.
  const old = renderUnit(inputs).split("\n").filter((l) =>
    l !== "ReadWritePaths=-/etc/securix/rules.d"
  ).join("\n");
  assert.notEqual(old, renderUnit(inputs), "the current unit does cover it");
  const result = systemdUnitCheck(PATH, old, expected);
  assert.equal(result?.status, "warn");
  assert.match(
    result!.detail,
    /^\S+: ReadWritePaths \(\/var\/lib\/securix\) does not cover \/etc\/securix\/rules\.d, where the console's rules editor writes rules\.toml \(a temp file renamed over it, so the directory must be writable\): saving rules in the console fails$/,
  );
  assert.match(result!.fix!, /service install --force && systemctl daemon-reload/);
  // Covering only the file is not enough: the temp file is created beside it.
  const fileOnly = old.replace(
    "ReadWritePaths=/var/lib/securix",
    "ReadWritePaths=/var/lib/securix /etc/securix/rules.d/rules.toml",
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
    /does not cover \/etc\/rules\.d, where .*move securix\.toml into a directory of its own/,
  );
});

Deno.test("systemd unit check: rules.d missing, a rules.toml still beside securix.toml, or one left behind", () => {
  const unit = renderUnit(inputs);
  const missing = systemdUnitCheck(PATH, unit, {
    ...expected,
    rulesFiles: { dirExists: false, legacy: "none" },
  });
  assert.equal(missing?.status, "warn");
  assert.match(missing!.detail, /\/etc\/securix\/rules\.d does not exist/);
  assert.equal(
    missing!.fix,
    "install -d -o securix -g securix -m 0700 /etc/securix/rules.d && systemctl restart securix",
  );
  const legacy = systemdUnitCheck(PATH, unit, {
    ...expected,
    rulesFiles: { dirExists: true, legacy: "in force" },
  });
  assert.equal(legacy?.status, "warn");
  assert.match(
    legacy!.detail,
    /\/etc\/securix\/rules\.toml is still read, but the service may not replace it/,
  );
  assert.equal(
    legacy!.fix,
    '[ "$(stat -c %h /etc/securix/rules.toml)" = 1 ] && ' +
      "chown -h securix:securix /etc/securix/rules.toml && " +
      "mv -nT /etc/securix/rules.toml /etc/securix/rules.d/rules.toml",
  );
  const dirFacts = (configDir: { owner: string | null; groupRoot: boolean; mode: number }) =>
    systemdUnitCheck(PATH, unit, {
      ...expected,
      rulesFiles: { dirExists: true, legacy: "none", configDir },
    })!;
  const clean = dirFacts({ owner: "root", groupRoot: true, mode: 0o755 });
  assert.equal(clean.status, "ok", clean.detail);
  // What the release before rules.d printed: the service's group, g+rwx, sticky.
  const writable = dirFacts({ owner: "root", groupRoot: false, mode: 0o1775 });
  assert.equal(writable.status, "warn");
  assert.match(writable.detail, /\/etc\/securix, where securix\.toml is, may be written by others/);
  assert.doesNotMatch(writable.detail, /no sticky bit/);
  assert.equal(writable.fix, "chgrp root /etc/securix && chmod go-w,-t /etc/securix");
  const noSticky = dirFacts({ owner: "root", groupRoot: true, mode: 0o775 });
  assert.match(noSticky.detail, /and replace it \(no sticky bit\)/);
  assert.equal(noSticky.fix, "chmod go-w,-t /etc/securix");
  const owned = dirFacts({ owner: "securix", groupRoot: false, mode: 0o755 });
  assert.match(owned.detail, /belongs to the service user securix/);
  assert.equal(owned.fix, "chown root:root /etc/securix");
  // A shared temporary directory is never chmod'ed: securix.toml moves out of it.
  const tmp = dirFacts({ owner: "root", groupRoot: true, mode: 0o1777 });
  assert.match(tmp.detail, /is a shared temporary directory/);
  assert.doesNotMatch(tmp.fix ?? "", /chmod/);
  const shadowed = systemdUnitCheck(PATH, unit, {
    ...expected,
    rulesFiles: { dirExists: true, legacy: "shadowed" },
  });
  assert.match(
    shadowed!.detail,
    /\/etc\/securix\/rules\.toml is no longer read \(\/etc\/securix\/rules\.d\/rules\.toml is\)/,
  );
  assert.match(shadowed!.fix!, /^rm \/etc\/securix\/rules\.toml/);
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
