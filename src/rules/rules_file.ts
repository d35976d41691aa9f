import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "../config/config_error.ts";
import type { RuleIssue } from "./rule_schema.ts";

/**
 * The console's rules live in `rules.d/rules.toml` beside securix.toml, not in
 * securix.toml itself: rewriting the operator's file would lose its comments
 * and layout (and put the master key file's neighbour through a TOML
 * round-trip). The loader appends its `[[rules]]` after the config file's and
 * adds its `[scopes.*]`; a scope defined in both is an error.
 */
export const RULES_FILE = "rules.toml";
/**
 * The directory of its own the rules file is in: the service may write there
 * (an atomic replace renames inside it) while securix.toml's directory stays
 * read-only to it, so a compromised appliance cannot rewrite its own config.
 */
export const RULES_DIR = "rules.d";

/** Only these tables may appear in rules.toml. */
const KEYS = new Set(["rules", "scopes"]);

export interface RulesTables {
  rules?: unknown;
  scopes?: unknown;
}

function configDir(configSource: string): string {
  return configSource.slice(0, configSource.lastIndexOf("/")) || ".";
}

/** Where the console writes the rules: `rules.d/rules.toml` beside securix.toml. */
export function rulesFilePath(configSource: string): string {
  return `${configDir(configSource)}/${RULES_DIR}/${RULES_FILE}`;
}

/**
 * Where releases before rules.d kept the file: beside securix.toml. Still
 * read while rules.d/rules.toml does not exist, so an install that has one
 * keeps its rules until the operator moves it (or the console saves).
 */
export function legacyRulesFilePath(configSource: string): string {
  return `${configDir(configSource)}/${RULES_FILE}`;
}

/** The rules file in force and its text; `shadowed`: a legacy file no longer read. */
export interface RulesFileInForce {
  path: string;
  text: string;
  legacy: boolean;
  shadowed: string | null;
}

/**
 * rules.d/rules.toml, else a rules.toml beside securix.toml, else null. Never
 * both: the console's first save copies the legacy file's rules into
 * rules.d, and adding the two would define each of them twice.
 */
export async function rulesFileInForce(configSource: string): Promise<RulesFileInForce | null> {
  const path = rulesFilePath(configSource);
  const legacyPath = legacyRulesFilePath(configSource);
  const text = await readRulesText(path);
  if (text !== null) {
    return { path, text, legacy: false, shadowed: await exists(legacyPath) ? legacyPath : null };
  }
  const legacyText = await readRulesText(legacyPath);
  return legacyText === null
    ? null
    : { path: legacyPath, text: legacyText, legacy: true, shadowed: null };
}

/**
 * Whether anything is at `path`, never throwing: a legacy file that is no
 * longer read must not fail every config load for being unreadable.
 */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Files in rules.d other than rules.toml: a `.d` directory reads like a
 * drop-in directory, but only rules.toml (the console's) is read, so an
 * operator's `rules.d/10-extra.toml` would be silently ignored; the loader
 * and every reload warn instead. A save's `.partial` temp file, dotfiles,
 * `~` backups and `#…#` autosaves are not named.
 */
export async function ignoredRulesFiles(configSource: string): Promise<string[]> {
  const dir = `${configDir(configSource)}/${RULES_DIR}`;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      // A save in flight, an editor's swap or backup file: nobody's rules.
      const transient = entry.name.endsWith(".partial") || /^[.#]/.test(entry.name) ||
        entry.name.endsWith("~");
      if (entry.isDirectory || entry.name === RULES_FILE || transient) continue;
      names.push(`${dir}/${entry.name}`);
    }
  } catch {
    return [];
  }
  return names.sort();
}

/** What the loader and a reload say of a file ignoredRulesFiles found. */
export function ignoredRulesWarning(path: string): string {
  return `Warning: ${path} is not read: only ${RULES_DIR}/${RULES_FILE} is (${RULES_DIR} is not ` +
    "a drop-in directory); rules in it have no effect until they are in that file or securix.toml.";
}

/** rules.toml's text, or null when there is none. */
export async function readRulesText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/** Parses rules.toml's text: TOML errors with line and column, nothing but rules and scopes. */
export function parseRulesText(
  text: string,
): { ok: true; tables: RulesTables } | { ok: false; issues: RuleIssue[] } {
  let parsed: Record<string, unknown>;
  try {
    parsed = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof TomlError
      ? `line ${error.line}, column ${error.column}: ${
        error.message.split("\n")[0].replace(/^Invalid TOML document: /, "")
      }`
      : "not valid TOML";
    return { ok: false, issues: [{ path: RULES_FILE, message }] };
  }
  const foreign = Object.keys(parsed).filter((k) => !KEYS.has(k));
  if (foreign.length > 0) {
    return {
      ok: false,
      issues: foreign.map((k) => ({
        path: k,
        message: "only [[rules]] and [scopes.<name>] tables belong in rules.toml",
      })),
    };
  }
  return { ok: true, tables: { rules: parsed.rules, scopes: parsed.scopes } };
}

/**
 * The config file's rules, then rules.toml's; scopes from both. Shapes the
 * rule schema refuses anyway (a `rules` that is not a list) are passed
 * through for it to name.
 */
export function mergeRules(
  file: RulesTables,
  edited: RulesTables,
): { ok: true; tables: RulesTables } | { ok: false; issues: RuleIssue[] } {
  const rules = edited.rules === undefined
    ? file.rules
    : file.rules === undefined
    ? edited.rules
    : Array.isArray(file.rules) && Array.isArray(edited.rules)
    ? [...file.rules, ...edited.rules]
    // A wrong shape on either side goes on for the schema to name, never dropped.
    : !Array.isArray(file.rules)
    ? file.rules
    : edited.rules;
  const isTable = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (edited.scopes === undefined || file.scopes === undefined) {
    return { ok: true, tables: { rules, scopes: edited.scopes ?? file.scopes } };
  }
  if (!isTable(file.scopes) || !isTable(edited.scopes)) {
    return {
      ok: true,
      tables: { rules, scopes: isTable(file.scopes) ? edited.scopes : file.scopes },
    };
  }
  const twice = Object.keys(edited.scopes).filter((name) => name in (file.scopes as object));
  if (twice.length > 0) {
    return {
      ok: false,
      issues: twice.map((name) => ({
        path: `scopes.${name}`,
        message: "already defined in securix.toml; define a scope in one file only",
      })),
    };
  }
  return { ok: true, tables: { rules, scopes: { ...file.scopes, ...edited.scopes } } };
}

/**
 * Names a rule by the file it is in: the loader numbers the merged list, the
 * operator reads `rules.toml: rules[0] (name)`.
 */
export function relabelIssues(issues: RuleIssue[], fileRuleCount: number): RuleIssue[] {
  return issues.map((issue) => {
    const match = /^rules\[(\d+)\](.*)$/.exec(issue.path);
    if (!match) return issue;
    const index = Number(match[1]);
    return index < fileRuleCount
      ? { ...issue, path: `securix.toml: rules[${index}]${match[2]}` }
      : { ...issue, path: `${RULES_FILE}: rules[${index - fileRuleCount}]${match[2]}` };
  });
}

/**
 * The raw config with rules.toml (beside `source`) merged in: what the
 * loader and every reload validate. An unreadable or malformed rules.toml
 * is a ConfigError naming it.
 */
export async function withRulesFile(
  raw: Record<string, unknown>,
  source: string,
): Promise<Record<string, unknown>> {
  const inForce = await rulesFileInForce(source);
  if (inForce === null) return raw;
  const { path, text } = inForce;
  const parsed = parseRulesText(text);
  const merged = parsed.ok
    ? mergeRules({ rules: raw.rules, scopes: raw.scopes }, parsed.tables)
    : parsed;
  if (!merged.ok) {
    throw new ConfigError(path, merged.issues.map((i) => `${i.path}: ${i.message}`).join("; "));
  }
  const out = { ...raw };
  if (merged.tables.rules !== undefined) out.rules = merged.tables.rules;
  if (merged.tables.scopes !== undefined) out.scopes = merged.tables.scopes;
  return out;
}

/**
 * Replaces rules.toml atomically: a reader sees the old file or the new one,
 * never half. Creates its directory (rules.d) when the config directory
 * allows it; `service install` prints the command that creates it for a unit.
 */
export async function writeRulesFile(path: string, text: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || ".", { mode: 0o700 }).catch(
    (error) => {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    },
  );
  const partial = `${path}.${crypto.randomUUID()}.partial`;
  try {
    await Deno.writeTextFile(partial, text, { mode: 0o600 });
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
}
