import type { CheckResult } from "./doctor_checks.ts";
import {
  covers,
  isSharedDir,
  MIN_UNIT_NOFILE,
  readInstalledUnit,
  rulesDirOf,
  systemdWord,
} from "./systemd_unit.ts";

/**
 * doctor's "systemd unit" check: when a unit is installed, does it run this
 * config, may it write the data directory and the directory of rules.toml
 * (the console's rules editor), and does it grant enough open files? No unit,
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

export function systemdUnitCheck(
  unitPath: string,
  unitText: string | null,
  expected: { configPath: string | null; dataDir: string | null } | null,
): CheckResult | null {
  if (unitText === null) return null;
  const name = "systemd unit";
  if (expected === null) {
    return { name, status: "skip", detail: "not checked: the config does not load", fix: null };
  }
  const fix =
    (expected.configPath
      ? `securix --config ${systemdWord(expected.configPath)} service install --force`
      : "securix init, then securix service install --force") +
    " && systemctl daemon-reload && systemctl restart securix";
  let installed;
  try {
    installed = readInstalledUnit(unitText);
  } catch (error) {
    return { name, status: "warn", detail: `${unitPath}: ${(error as Error).message}`, fix };
  }
  const problems: string[] = [];
  if (installed.configPath !== expected.configPath) {
    problems.push(
      `ExecStart runs serve --config ${installed.configPath ?? "(none)"}, not ${
        expected.configPath ?? "a securix.toml"
      }`,
    );
  }
  const { dataDir } = expected;
  if (dataDir !== null && !installed.readWritePaths.some((p) => covers(p, dataDir))) {
    problems.push(
      `ReadWritePaths (${
        installed.readWritePaths.join(" ") || "none"
      }) does not cover the data directory ${dataDir}`,
    );
  }
  const rulesDir = expected.configPath === null ? null : rulesDirOf(expected.configPath);
  const rulesCovered = rulesDir !== null &&
    installed.readWritePaths.some((p) => covers(p, rulesDir));
  if (rulesDir !== null && !rulesCovered) {
    problems.push(
      `ReadWritePaths (${
        installed.readWritePaths.join(" ") || "none"
      }) does not cover ${rulesDir}, where the console's rules editor writes rules.toml ` +
        "(a temp file renamed over it, so the directory must be writable): saving rules " +
        "in the console fails" +
        (isSharedDir(rulesDir)
          ? `; ${rulesDir} is shared with the system, so move securix.toml into a directory of its own (e.g. /etc/securix) first`
          : ""),
    );
  }
  if (installed.limitNofile === null || installed.limitNofile < MIN_UNIT_NOFILE) {
    problems.push(
      `LimitNOFILE is ${installed.limitNofile ?? "unset"}, below ${MIN_UNIT_NOFILE}`,
    );
  }
  if (problems.length > 0) {
    return { name, status: "warn", detail: `${unitPath}: ${problems.join("; ")}`, fix };
  }
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
