import type { Command } from "commander";
import { SecurixError } from "../errors/securix_error.ts";
import { loadConfigWithoutKey } from "./config_without_key.ts";
import type { CliContext } from "./context.ts";
import type { CliIo } from "./io.ts";
import { readUnitText } from "./doctor_systemd_check.ts";
import {
  DEFAULT_BINARY_PATH,
  DEFAULT_SERVICE_USER,
  DEFAULT_UNIT_PATH,
  dirname,
  readInstalledUnit,
  renderUnit,
  shellWord,
  type UnitInputs,
  unitInputsFromConfig,
  writableRulesDir,
} from "./systemd_unit.ts";
import { RULES_FILE } from "../rules/rules_file.ts";

/**
 * `securix service install|status`: writes the systemd unit for the config
 * in force (systemd_unit.ts renders it) and tells whether the installed one
 * still matches. Installing writes one file; creating the user and starting
 * the service are printed for the operator to run.
 */

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * The binary the unit should run: this one when it is the compiled securix,
 * else (under `deno run`) where the release binary is installed.
 */
export function defaultBinaryPath(execPath: string): string {
  return /(^|\/)deno(\.exe)?$/.test(execPath) ? DEFAULT_BINARY_PATH : execPath;
}

/** `securix.service` → `securix`: the name systemctl knows the unit by. */
export function serviceName(unitPath: string): string {
  return unitPath.slice(unitPath.lastIndexOf("/") + 1).replace(/\.service$/, "");
}

/**
 * The commands that make the unit run: a system user owning the data and
 * able to write rules.toml (the console's rules editor), then systemd.
 */
export function nextCommands(
  inputs: UnitInputs,
  options: { unitPath: string; keyFile: string | null },
): string[] {
  const user = inputs.user;
  const home = inputs.dataDir ?? "/nonexistent";
  const commands = [
    `id -u ${user} >/dev/null 2>&1 || useradd --system --user-group --home-dir ${
      shellWord(home)
    } --no-create-home --shell /usr/sbin/nologin ${user}`,
  ];
  const rulesDir = writableRulesDir(inputs);
  if (rulesDir !== null) {
    // A release before rules.d made securix.toml's directory the service group's (g+rwx,+t):
    // taken back first, only where it is exactly that, before anything in it is handed over
    // (with the sticky bit the service could still swap its own files there for links).
    const configDir = shellWord(dirname(inputs.configPath));
    commands.push(
      `if [ "$(stat -c %G ${configDir})" = ${user} ]; then chgrp root ${configDir} && ` +
        `chmod g-w,-t ${configDir}; fi`,
    );
  }
  if (inputs.dataDir) {
    commands.push(`chown -hR ${user}:${user} ${shellWord(inputs.dataDir)}`);
  }
  if (options.keyFile && !(inputs.dataDir && options.keyFile.startsWith(`${inputs.dataDir}/`))) {
    // Never through a link when run: `service install` resolved it already (a key may be a
    // link into a credential store), and a link put in its place since is changed itself.
    commands.push(`chown -h ${user}:${user} ${shellWord(options.keyFile)}`);
  }
  if (rulesDir !== null) {
    // The unit lifts the read-only mount on rules.d only; the service user owns it. The config
    // directory stays root's and read-only to the service.
    commands.push(`install -d -o ${user} -g ${user} -m 0700 ${shellWord(rulesDir)}`);
    // An install from before rules.d: its rules.toml moves in (until then it is still read).
    // Handed over while still in root's directory, a plain file with one link (no hard link to
    // another file, whatever protected_hardlinks says), then moved with -T (never into a
    // directory) and -n (never over what is there: rules.d is the service's, anything in it
    // may be a link it planted, so nothing there is chowned at all; the console replaces
    // rules.toml by renaming, which needs the directory, not the file).
    const legacy = shellWord(`${dirname(inputs.configPath)}/${RULES_FILE}`);
    const moved = shellWord(`${rulesDir}/${RULES_FILE}`);
    commands.push(
      `if [ -f ${legacy} ] && [ ! -L ${legacy} ] && [ "$(stat -c %h ${legacy})" = 1 ] && ` +
        `[ ! -e ${moved} ] && [ ! -L ${moved} ]; ` +
        `then chown -h ${user}:${user} ${legacy} && mv -nT ${legacy} ${moved}; fi`,
    );
  }
  const name = serviceName(options.unitPath);
  // restart, not enable --now: a running service mounts rules.d writable only when it starts.
  commands.push(
    `systemctl daemon-reload && systemctl enable ${name} && systemctl restart ${name}`,
  );
  commands.push(`systemctl status ${name}    # then: journalctl -u ${name} -f`);
  return commands;
}

/**
 * Paths the unit hides from the service (ProtectHome=true, PrivateTmp=true):
 * it would not start from there.
 */
export function hiddenFromService(inputs: UnitInputs): string[] {
  const paths = [inputs.configPath, inputs.dataDir, inputs.binaryPath]
    .filter((p): p is string => p !== null);
  return paths.filter((p) => /^\/(home|root|run\/user|tmp|var\/tmp)(\/|$)/.test(p));
}

/** Lines only in one of the two units, marked - (installed) and + (would be written now). */
export function unitDifferences(installed: string, expected: string): string[] {
  const lines = (text: string) =>
    text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const a = lines(installed);
  const b = lines(expected);
  return [
    ...a.filter((l) => !b.includes(l)).map((l) => `- ${l}`),
    ...b.filter((l) => !a.includes(l)).map((l) => `+ ${l}`),
  ];
}

export type InstallOutcome = "printed" | "written" | "unchanged";

/** Writes `unit` to `unitPath` unless a different unit is there (then only with `force`). */
export async function installUnit(
  unit: string,
  options: { unitPath: string; force: boolean; dryRun: boolean },
  readText: (path: string) => Promise<string | null> = readUnitText,
): Promise<InstallOutcome> {
  if (options.dryRun) return "printed";
  const existing = await readText(options.unitPath);
  if (existing === unit) return "unchanged";
  if (existing !== null && !options.force) {
    throw new SecurixError(
      "SX-SERVICE-UNIT-EXISTS",
      `${options.unitPath} exists and differs from the unit for this config:\n${
        unitDifferences(existing, unit).join("\n")
      }\nPass --force to replace it, or --dry-run to see the whole unit`,
    );
  }
  await Deno.mkdir(dirname(options.unitPath), { recursive: true });
  await Deno.writeTextFile(options.unitPath, unit, { mode: 0o644 });
  await Deno.chmod(options.unitPath, 0o644);
  return "written";
}

interface InstallFlags {
  user: string;
  unitPath: string;
  binary?: string;
  dryRun?: boolean;
  force?: boolean;
}

interface StatusFlags {
  unitPath: string;
  user?: string;
  binary?: string;
}

export function registerService(program: Command, context: CliContext): void {
  const service = program.command("service")
    .description("run the appliance as a systemd service (install, status)");
  service.command("install")
    .description("write a hardened systemd unit for this config and print how to start it")
    .option("--user <name>", "dedicated system user the service runs as", DEFAULT_SERVICE_USER)
    .option("--unit-path <path>", "where to write the unit", DEFAULT_UNIT_PATH)
    .option("--binary <path>", "absolute path of the securix binary (default: this binary)")
    .option("--dry-run", "print the unit instead of writing it")
    .option("--force", "replace a different unit already at --unit-path")
    .action(async (flags: InstallFlags) => {
      const { io } = context;
      const { inputs, keyFile: keyPath } = await unitInputs(context, flags);
      const keyFile = keyPath === null ? null : await keyFileToHandOver(keyPath);
      const unit = renderUnit(inputs);
      const outcome = await installUnit(unit, {
        unitPath: flags.unitPath,
        force: flags.force === true,
        dryRun: flags.dryRun === true,
      });
      if (outcome === "printed") {
        io.out(unit.trimEnd());
        warnHidden(io, inputs); // on stderr: the printed unit stays a clean copy
        io.err(`\n# --dry-run: nothing written. To install it at ${flags.unitPath}, run:`);
        io.err(`#   securix${configFlag(inputs)} service install`);
        io.err("# and then:");
        for (const line of nextCommands(inputs, { unitPath: flags.unitPath, keyFile })) {
          io.err(`#   ${line}`);
        }
        return;
      }
      io.out(
        outcome === "written"
          ? `Wrote ${flags.unitPath}`
          : `${flags.unitPath} is already this unit; nothing changed`,
      );
      warnHidden(io, inputs);
      io.out("Next, as root:");
      for (const line of nextCommands(inputs, { unitPath: flags.unitPath, keyFile })) {
        io.out(`  ${line}`);
      }
    });
  service.command("status")
    .description("is a unit installed, and does it match what install would write now?")
    .option("--unit-path <path>", "the unit to check", DEFAULT_UNIT_PATH)
    .option("--user <name>", "expected user (default: the installed unit's)")
    .option("--binary <path>", "expected binary (default: the installed unit's)")
    .action(async (flags: StatusFlags) => {
      const { io } = context;
      const installed = await readUnitText(flags.unitPath);
      if (installed === null) {
        throw new SecurixError(
          "SX-SERVICE-NOT-INSTALLED",
          `no unit at ${flags.unitPath}; write one with "securix service install"`,
        );
      }
      // The binary and user are the operator's choice at install: compare the config's part.
      const current = safeRead(installed);
      const { inputs } = await unitInputs(context, {
        user: flags.user ?? current?.user ?? DEFAULT_SERVICE_USER,
        binary: flags.binary ?? current?.binaryPath ?? undefined,
      });
      const differences = unitDifferences(installed, renderUnit(inputs));
      if (differences.length > 0) {
        io.out(`${flags.unitPath} is installed but differs from the unit for this config:`);
        for (const line of differences) io.out(`  ${line}`);
        throw new SecurixError(
          "SX-SERVICE-UNIT-DIFFERS",
          `rewrite it with "securix${configFlag(inputs)} service install --force", then ` +
            `"systemctl daemon-reload && systemctl restart ${serviceName(flags.unitPath)}"`,
        );
      }
      io.out(`${flags.unitPath} is installed and matches the config ${inputs.configPath}`);
    });
}

/** The config, data or binary paths the unit hides from the service, one warning each. */
function warnHidden(io: CliIo, inputs: UnitInputs): void {
  for (const path of hiddenFromService(inputs)) {
    io.err(
      `warning: ${path} is under /home, /root, /run/user or /tmp, which the unit hides ` +
        "from the service (ProtectHome, PrivateTmp); move it (e.g. /etc/securix, " +
        "/var/lib/securix, /usr/local/bin)",
    );
  }
}

function safeRead(text: string) {
  try {
    return readInstalledUnit(text);
  } catch {
    return null;
  }
}

function configFlag(inputs: UnitInputs): string {
  return ` --config ${shellWord(inputs.configPath)}`;
}

async function unitInputs(
  context: CliContext,
  flags: { user: string; binary?: string },
): Promise<{ inputs: UnitInputs; keyFile: string | null }> {
  if (!USER_NAME.test(flags.user)) {
    throw new SecurixError(
      "SX-SERVICE-BAD-USER",
      `--user ${JSON.stringify(flags.user)} is not a system user name (lowercase, up to 32)`,
    );
  }
  const binaryPath = flags.binary ?? defaultBinaryPath(Deno.execPath());
  if (!binaryPath.startsWith("/")) {
    throw new SecurixError("SX-SERVICE-BAD-BINARY", `--binary must be absolute, got ${binaryPath}`);
  }
  const { config, keyFile, warnings } = await loadConfigWithoutKey({
    path: context.configPath(),
    env: context.io.env,
    envNames: context.io.envNames,
    cwd: context.io.cwd(),
  });
  for (const warning of warnings) context.io.err(warning);
  if (config.source === null) {
    throw new SecurixError(
      "SX-SERVICE-NO-CONFIG",
      "no securix.toml found: a service runs a config file; write one with securix init " +
        "(or pass --config)",
    );
  }
  return { inputs: unitInputsFromConfig(config, { binaryPath, user: flags.user }), keyFile };
}

/**
 * The file `chown -h` should hand to the service for the master key: the key
 * itself when it is a link (into a credential store, say) that only root
 * could have placed, in a directory root owns and nobody else may write;
 * otherwise the path as it is, so a link someone else could have planted
 * (the old group-writable config directory) is never followed by root.
 */
export async function keyFileToHandOver(path: string): Promise<string> {
  const link = await Deno.lstat(path).catch(() => null);
  if (!link?.isSymlink) return path;
  const dir = await Deno.stat(dirname(path)).catch(() => null);
  const trusted = dir?.uid === 0 && dir.mode !== null && (dir.mode & 0o022) === 0 &&
    link.uid === 0;
  return trusted ? await Deno.realPath(path).catch(() => path) : path;
}
