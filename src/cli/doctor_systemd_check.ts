import type { CheckResult } from "./doctor_checks.ts";
import { RULES_FILE } from "../rules/rules_file.ts";
import {
  covers,
  DEFAULT_SERVICE_USER,
  dirname,
  type InstalledUnit,
  isSharedDir,
  MIN_UNIT_NOFILE,
  readInstalledUnit,
  rulesDirOf,
  shellWord,
  systemdWord,
  writableRulesDir,
} from "./systemd_unit.ts";

/**
 * doctor's "systemd unit" check: when a unit is installed, does it run this
 * config, may it write the data directory and rules.d (the console's rules
 * editor) but not securix.toml's directory, does it grant enough open files,
 * and is the rules file where the unit lets the service replace it? No unit,
 * no line: running without systemd is not a problem.
 */

/** The unit file's text, or null when there is none. */
export async function readUnitText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** What doctor found on disk about the rules file (rules_file.ts `rulesFileInForce`). */
export interface RulesFilesOnDisk {
  /** rules.d beside securix.toml exists (the unit's allowance for it is optional, "-"). */
  dirExists: boolean;
  /** A rules.toml beside securix.toml: none, read (no rules.d/rules.toml yet), or shadowed. */
  legacy: "none" | "in force" | "shadowed";
  /**
   * securix.toml's directory: its owner's name, whether its group is root's,
   * its permission bits (releases before rules.d printed `chgrp securix DIR
   * && chmod g+rwx,+t DIR`). Null: not known.
   */
  configDir?: { owner: string | null; groupRoot: boolean; mode: number } | null;
}

export function systemdUnitCheck(
  unitPath: string,
  unitText: string | null,
  expected: {
    configPath: string | null;
    dataDir: string | null;
    rulesFiles?: RulesFilesOnDisk;
  } | null,
): CheckResult | null {
  if (unitText === null) return null;
  const name = "systemd unit";
  if (expected === null) {
    return { name, status: "skip", detail: "not checked: the config does not load", fix: null };
  }
  const reinstall =
    (expected.configPath
      ? `securix --config ${systemdWord(expected.configPath)} service install --force`
      : "securix init, then securix service install --force") +
    " && systemctl daemon-reload && systemctl restart securix";
  let installed;
  try {
    installed = readInstalledUnit(unitText);
  } catch (error) {
    return {
      name,
      status: "warn",
      detail: `${unitPath}: ${(error as Error).message}`,
      fix: reinstall,
    };
  }
  const unitProblems = unitProblemsOf(installed, expected);
  const fileProblems = expected.configPath === null
    ? []
    : rulesFileProblems(installed, expected.configPath, expected.dataDir, expected.rulesFiles);
  const problems = [...unitProblems, ...fileProblems.map((p) => p.problem)];
  if (problems.length > 0) {
    const fix = [
      ...(unitProblems.length > 0 ? [reinstall] : []),
      ...fileProblems.map((p) => p.fix),
    ].join("; ");
    return { name, status: "warn", detail: `${unitPath}: ${problems.join("; ")}`, fix };
  }
  const { dataDir } = expected;
  const rulesDir = expected.configPath === null ? null : rulesDirOf(expected.configPath);
  return {
    name,
    status: "ok",
    detail: `${unitPath} runs this config${
      [
        dataDir !== null ? `, may write ${dataDir} (data)` : "",
        rulesDir !== null ? `, may write ${rulesDir} (rules.toml)` : "",
      ].join("")
    }, ` +
      `LimitNOFILE ${installed.limitNofile}`,
    fix: null,
  };
}

/** Where the installed unit differs from what `service install` renders now, in its parts. */
function unitProblemsOf(
  installed: InstalledUnit,
  expected: { configPath: string | null; dataDir: string | null },
): string[] {
  const problems: string[] = [];
  const paths = installed.readWritePaths.join(" ") || "none";
  if (installed.configPath !== expected.configPath) {
    problems.push(
      `ExecStart runs serve --config ${installed.configPath ?? "(none)"}, not ${
        expected.configPath ?? "a securix.toml"
      }`,
    );
  }
  const { dataDir } = expected;
  if (dataDir !== null && !installed.readWritePaths.some((p) => covers(p, dataDir))) {
    problems.push(`ReadWritePaths (${paths}) does not cover the data directory ${dataDir}`);
  }
  if (expected.configPath !== null) {
    const configPath = expected.configPath;
    const configDir = dirname(configPath);
    // Units from before rules.d made securix.toml's whole directory writable.
    const rendered = [dataDir, writableRulesDir({ configPath, dataDir })]
      .filter((p): p is string => p !== null);
    const tooWide = installed.readWritePaths.filter((p) =>
      covers(p, configDir) && !rendered.includes(p.replace(/\/+$/, "") || "/")
    );
    if (tooWide.length > 0) {
      problems.push(
        `ReadWritePaths makes ${tooWide.join(" ")} writable, where securix.toml is: a ` +
          "compromised service could rewrite its own config (master key reference, listen, " +
          `providers); only ${rulesDirOf(configPath)} needs to be`,
      );
    }
    const rulesDir = rulesDirOf(configPath);
    if (!installed.readWritePaths.some((p) => covers(p, rulesDir))) {
      problems.push(
        `ReadWritePaths (${paths}) does not cover ${rulesDir}, where the console's rules ` +
          "editor writes rules.toml (a temp file renamed over it, so the directory must be " +
          "writable): saving rules in the console fails" +
          (isSharedDir(configDir)
            ? `; ${configDir} is shared with the system, so move securix.toml into a directory of its own (e.g. /etc/securix) first`
            : ""),
      );
    }
  }
  if (installed.limitNofile === null || installed.limitNofile < MIN_UNIT_NOFILE) {
    problems.push(
      `LimitNOFILE is ${installed.limitNofile ?? "unset"}, below ${MIN_UNIT_NOFILE}`,
    );
  }
  return problems;
}

/** rules.d missing, or a rules.toml still beside securix.toml: each with its own command. */
function rulesFileProblems(
  installed: InstalledUnit,
  configPath: string,
  dataDir: string | null,
  files: RulesFilesOnDisk | undefined,
): Array<{ problem: string; fix: string }> {
  const rulesDir = writableRulesDir({ configPath, dataDir });
  if (!files || rulesDir === null) return [];
  const user = installed.user ?? DEFAULT_SERVICE_USER;
  const legacy = `${dirname(configPath)}/${RULES_FILE}`;
  const moved = `${rulesDir}/${RULES_FILE}`;
  const problems: Array<{ problem: string; fix: string }> = [];
  if (!files.dirExists) {
    problems.push({
      problem: `${rulesDir} does not exist and the service may not create it: saving rules ` +
        "in the console fails",
      // systemd makes rules.d writable when the service starts: a directory made later is not.
      fix: `install -d -o ${user} -g ${user} -m 0700 ${shellWord(rulesDir)} && ` +
        "systemctl restart securix",
    });
  }
  problems.push(...configDirProblems(dirname(configPath), user, files.configDir ?? null));
  if (files.legacy === "in force") {
    problems.push({
      problem: `${legacy} is still read, but the service may not replace it: the console's ` +
        `first save moves its rules to ${moved}; move it now`,
      // Handed over while still in root's directory: in rules.d (the service's), a chown after
      // the move could follow a link the service put in its place.
      fix: `[ "$(stat -c %h ${shellWord(legacy)})" = 1 ] && ` +
        `chown -h ${user}:${user} ${shellWord(legacy)} && ` +
        `mv -nT ${shellWord(legacy)} ${shellWord(moved)}`,
    });
  }
  if (files.legacy === "shadowed") {
    problems.push({
      problem: `${legacy} is no longer read (${moved} is)`,
      fix: `rm ${shellWord(legacy)} (after copying any rule you still want into ${moved})`,
    });
  }
  return problems;
}

/**
 * securix.toml's directory as the service sees it: one the service owns, or
 * whose group or others may write, lets a compromised service put files
 * beside securix.toml (and replace it, without the sticky bit).
 */
function configDirProblems(
  dir: string,
  user: string,
  facts: NonNullable<RulesFilesOnDisk["configDir"]> | null,
): Array<{ problem: string; fix: string }> {
  if (facts === null) return [];
  const word = shellWord(dir);
  if ((facts.mode & 0o1002) === 0o1002) {
    return [{
      problem: `${dir}, where securix.toml is, is a shared temporary directory: anyone may ` +
        "put files beside it",
      fix: "move securix.toml (and its key) into a directory of its own, e.g. /etc/securix, " +
        "then securix service install --force",
    }];
  }
  const problems: Array<{ problem: string; fix: string }> = [];
  if (facts.owner === user) {
    problems.push({
      problem: `${dir}, where securix.toml is, belongs to the service user ${user}: a ` +
        "compromised service could replace securix.toml",
      fix: `chown root:root ${word}`,
    });
  }
  if ((facts.mode & 0o022) !== 0) {
    problems.push({
      problem: `${dir}, where securix.toml is, may be written by others than its owner ` +
        "(releases before rules.d made it the service group's): a compromised service could " +
        `put files beside securix.toml${
          facts.mode & 0o1000 ? "" : ", and replace it (no sticky bit)"
        }`,
      fix: `${facts.groupRoot ? "" : `chgrp root ${word} && `}chmod go-w,-t ${word}`,
    });
  }
  return problems;
}
