/**
 * The commands `service install` prints and doctor's rules-file fix run as
 * root in rules.d, a directory the service owns: a compromised service can
 * plant links there. Run for real (as root, handing files to the `daemon`
 * account that stands in for the service user), they must never hand over
 * what a link points at, nor move anything through one.
 */
import assert from "node:assert/strict";
import { keyFileToHandOver, nextCommands } from "../src/cli/service_command.ts";
import { systemdUnitCheck } from "../src/cli/doctor_systemd_check.ts";
import { renderUnit, type UnitInputs } from "../src/cli/systemd_unit.ts";

const SERVICE_USER = "daemon";
const skip = Deno.uid() !== 0 || !(await hasAccount(SERVICE_USER));
if (skip) {
  console.log("service_commands_links_test: skipped, it needs root and a daemon:daemon account");
}

async function hasAccount(name: string): Promise<boolean> {
  const run = (db: string) =>
    new Deno.Command("getent", { args: [db, name], stdout: "null", stderr: "null" }).output();
  try {
    return (await run("passwd")).success && (await run("group")).success;
  } catch {
    return false;
  }
}

async function sh(command: string): Promise<void> {
  const out = await new Deno.Command("bash", { args: ["-c", command] }).output();
  assert.ok(out.success, `${command}\n${new TextDecoder().decode(out.stderr)}`);
}

async function layout() {
  const dir = await Deno.makeTempDir({ prefix: "sx-links-" });
  const inputs: UnitInputs = {
    binaryPath: "/usr/local/bin/securix",
    configPath: `${dir}/securix.toml`,
    user: SERVICE_USER,
    dataDir: `${dir}/data`,
    ports: [8080],
    shutdownTimeoutMs: 10_000,
  };
  await Deno.writeTextFile(`${dir}/securix.toml`, "# root's config\n");
  await Deno.writeTextFile(`${dir}/rules.toml`, "# legacy rules\n");
  return { dir, inputs };
}

/** A test in a fresh layout (removed after), skipped where it cannot run as root. */
function linksTest(
  name: string,
  fn: (dir: string, inputs: UnitInputs) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: skip,
    async fn() {
      const { dir, inputs } = await layout();
      try {
        await fn(dir, inputs);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

const rulesCommands = (inputs: UnitInputs) =>
  nextCommands(inputs, { unitPath: "/x/securix.service", keyFile: null })
    .filter((c) => !/^(id -u|chown -hR|systemctl)/.test(c));

linksTest(
  "service install's commands: a link the service planted in rules.d is neither followed nor moved through",
  async (dir, inputs) => {
    await Deno.mkdir(`${dir}/rules.d`);
    await Deno.mkdir(`${dir}/elsewhere`);
    await Deno.chown(`${dir}/rules.d`, 1, 1);
    // The service points rules.toml at root's config: a chown through it would hand it over.
    await Deno.symlink(`${dir}/securix.toml`, `${dir}/rules.d/rules.toml`);
    for (const command of rulesCommands(inputs)) await sh(command);
    assert.equal(
      (await Deno.stat(`${dir}/securix.toml`)).uid,
      0,
      "the link's target stays root's",
    );
    assert.equal((await Deno.stat(`${dir}/rules.toml`)).uid, 0, "nothing moved over the link");
    // A link to a directory: never moved into (the guard, and mv -T behind it).
    await Deno.remove(`${dir}/rules.d/rules.toml`);
    await Deno.symlink(`${dir}/elsewhere`, `${dir}/rules.d/rules.toml`);
    for (const command of rulesCommands(inputs)) await sh(command);
    assert.deepEqual([...Deno.readDirSync(`${dir}/elsewhere`)], []);
    assert.equal((await Deno.lstat(`${dir}/rules.toml`)).isFile, true);
  },
);

Deno.test({
  name:
    "service install's commands and doctor's fix: a legacy rules.toml moves into rules.d, owned by the service",
  ignore: skip,
  async fn() {
    for (const via of ["service install", "doctor"]) {
      const { dir, inputs } = await layout();
      try {
        if (via === "service install") {
          for (const command of rulesCommands(inputs)) await sh(command);
        } else {
          await sh(`install -d -o ${SERVICE_USER} -g ${SERVICE_USER} -m 0700 ${dir}/rules.d`);
          const check = systemdUnitCheck("/x/securix.service", renderUnit(inputs), {
            configPath: inputs.configPath,
            dataDir: inputs.dataDir,
            rulesFiles: { dirExists: true, legacy: "in force" },
          });
          await sh(check!.fix!);
        }
        const moved = await Deno.lstat(`${dir}/rules.d/rules.toml`);
        assert.equal(moved.isFile, true, via);
        assert.equal(moved.uid, 1, `${via}: the service may replace its rules`);
        assert.equal(await Deno.readTextFile(`${dir}/rules.d/rules.toml`), "# legacy rules\n");
        await assert.rejects(Deno.lstat(`${dir}/rules.toml`), Deno.errors.NotFound);
        assert.equal((await Deno.stat(`${dir}/securix.toml`)).uid, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  },
});

linksTest(
  "service install's commands: a hard link to securix.toml is not handed over; the old group-writable config directory is taken back",
  async (dir, inputs) => {
    // A release before rules.d: the service's group may write securix.toml's directory.
    await sh(`chgrp ${SERVICE_USER} ${dir} && chmod g+rwx,+t ${dir}`);
    // protected_hardlinks off (some containers): rules.toml is another name for securix.toml.
    await Deno.remove(`${dir}/rules.toml`);
    await Deno.link(`${dir}/securix.toml`, `${dir}/rules.toml`);
    for (const command of rulesCommands(inputs)) await sh(command);
    const config = await Deno.stat(`${dir}/securix.toml`);
    assert.equal(config.uid, 0, "securix.toml stays root's");
    assert.equal((await Deno.lstat(`${dir}/rules.toml`)).isFile, true, "left where it was");
    const taken = await Deno.stat(dir);
    assert.equal(taken.gid, 0, "the directory's group is root's again");
    assert.equal(taken.mode! & 0o1020, 0, "no group write, no sticky bit");
  },
);

linksTest(
  "service install's commands: a key the service swapped for a link is never followed; root's own link is",
  async (dir, inputs) => {
    await Deno.writeTextFile(`${dir}/shadow`, "root's secret\n", { mode: 0o600 });
    await Deno.mkdir(`${dir}/data`);
    // The release before rules.d: the service's group, g+rwx,+t, and the key handed over.
    await sh(`chgrp ${SERVICE_USER} ${dir} && chmod g+rwx,+t ${dir}`);
    // The service deleted its own key (the sticky bit allows that) for a link to a root file.
    await Deno.symlink(`${dir}/shadow`, `${dir}/master.key`);
    await sh(`chown -h ${SERVICE_USER}:${SERVICE_USER} ${dir}/master.key`);
    const keyFile = await keyFileToHandOver(`${dir}/master.key`);
    assert.equal(keyFile, `${dir}/master.key`, "a link the service could plant is not resolved");
    for (const command of nextCommands(inputs, { unitPath: "/x/securix.service", keyFile })) {
      if (!/^(id -u|systemctl)/.test(command)) await sh(command);
    }
    assert.equal((await Deno.stat(`${dir}/shadow`)).uid, 0, "root's file stays root's");
    // Root's own link, in root's directory (taken back above): the key itself is handed over.
    await Deno.remove(`${dir}/master.key`);
    await Deno.writeTextFile(`${dir}/store.key`, "k\n", { mode: 0o600 });
    await Deno.symlink(`${dir}/store.key`, `${dir}/master.key`);
    assert.equal(await keyFileToHandOver(`${dir}/master.key`), `${dir}/store.key`);
  },
);
