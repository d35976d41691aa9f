/**
 * README.md is the product's front door: it names error codes, CLI commands and flags,
 * configuration keys and HTTP routes. This test keeps each of those true against the code,
 * in both directions, so a renamed flag or a new route cannot silently leave the README behind.
 * Everything is read in-process (the commander program, the zod schema, the Hono app's route
 * table, the source text of src/): no network, no subprocess.
 */
import assert from "node:assert/strict";
import type { Command } from "commander";
import { buildProgram } from "../src/cli/main.ts";
import { configSchema } from "../src/config/schema.ts";
import { PROVIDER_KEYS } from "../src/providers/provider_config.ts";
import { createApp } from "../src/http/app.ts";
import { PortalChoices } from "../src/portal/portal_choices.ts";
import { parseRulesConfig, ruleSchema, scopeSchema } from "../src/rules/rule_schema.ts";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const ROOT = new URL("../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

/**
 * Codes in src/ that README deliberately does not document, each with why. Anything else a
 * string literal in src/ names must be somewhere in README.
 */
const UNDOCUMENTED_CODES: Record<string, string> = {
  "SX-API-KEY": "not a code: the prefix fetch_handler.ts matches SX-API-KEY-* with",
  "SX-APPROVAL-CANCELLED":
    "status 499 for a `wait` caller that disconnected: the answer has no reader; the audit " +
    "record's error field is the only place it shows",
  "SX-CANCELLED": "the operator pressed Ctrl-C at the `admins add` password prompt",
  "SX-INIT-CANCELLED":
    "the operator cancelled the `init` wizard; its message says nothing was written",
};

/**
 * Codes src/ no longer answers with, each with what replaced it. README may name them only in
 * its "## Upgrade" section, so integrators can look up an old code; anywhere else they would be
 * a promise the code no longer keeps.
 */
const RETIRED_CODES: Record<string, string> = {
  "SX-NEEDS-REAUTH": "0.1.0: the gateway answers a refused refresh token with SX-TOKEN-EXPIRED",
  "SX-CONNECTION-NEEDS-REAUTH":
    "0.1.0: the operator's refresh answers a refused refresh token with SX-TOKEN-EXPIRED",
};

// ---------------------------------------------------------------------------------------------
// Markdown helpers

interface Located {
  text: string;
  line: number;
}

/** README with its fenced blocks taken out (prose keeps its line numbers), and those blocks. */
function splitFences(md: string): { prose: string; fences: { lang: string; lines: Located[] }[] } {
  const lines = md.split("\n");
  const prose: string[] = [];
  const fences: { lang: string; lines: Located[] }[] = [];
  let open: { lang: string; lines: Located[] } | null = null;
  lines.forEach((line, i) => {
    const fence = /^\s*```(\S*)/.exec(line);
    if (fence) {
      if (open) {
        fences.push(open);
        open = null;
      } else open = { lang: fence[1], lines: [] };
      prose.push("");
      return;
    }
    if (open) {
      open.lines.push({ text: line, line: i + 1 });
      prose.push("");
    } else prose.push(line);
  });
  return { prose: prose.join("\n"), fences };
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

/** Inline code spans of prose (they may wrap onto the next line). */
function codeSpans(prose: string): Located[] {
  return [...prose.matchAll(/`([^`]+)`/g)].map((m) => ({
    text: m[1].replace(/\s+/g, " "),
    line: lineOf(prose, m.index),
  }));
}

/** The 1-based line range of the section under the level-2 heading `heading` (to the next one). */
function sectionLines(md: string, heading: string): { from: number; to: number } {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return { from: 0, to: -1 };
  const next = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return { from: start + 1, to: next < 0 ? lines.length : next };
}

/** The lines of the first table after the heading `heading` (up to the next heading). */
function tableRows(md: string, heading: string): Located[] {
  const lines = md.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) return [];
  const rows: Located[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i])) break;
    if (lines[i].startsWith("|")) rows.push({ text: lines[i], line: i + 1 });
    else if (rows.length > 0) break;
  }
  return rows.slice(2); // header and separator
}

/** A table row's cells; `\|` inside a cell is not a separator. */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
}

// ---------------------------------------------------------------------------------------------
// 1. Error codes

const CODE = /SX-[A-Z0-9]+(?:-[A-Z0-9]+)*/g;

/** The source text of every non-test module under src/, by path. */
async function sourceFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: URL): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir));
      else if (/\.(ts|tsx|js)$/.test(entry.name) && !/_test\.(ts|tsx|js)$/.test(entry.name)) {
        const url = new URL(entry.name, dir);
        files.set(url.href.slice(ROOT.href.length), await Deno.readTextFile(url));
      }
    }
  };
  await walk(new URL("src/", ROOT));
  return files;
}

async function sourceCodes(): Promise<Set<string>> {
  const codes = new Set<string>();
  for (const text of (await sourceFiles()).values()) {
    for (const m of text.matchAll(/["'`](SX-[A-Z0-9]+(?:-[A-Z0-9]+)*)["'`]/g)) codes.add(m[1]);
  }
  return codes;
}

/**
 * Codes put together at run time (`SX-HTTP-${status}`, "SX-" + kind): README cannot be checked
 * against them, so each is a problem; name every code a client can see as a literal.
 */
function builtCodes(files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, text] of files) {
    for (const m of text.matchAll(/`SX-[A-Z0-9-]*\$\{[^`]*`|["']SX-[A-Z0-9-]*["']\s*\+/g)) {
      problems.push(
        `${path}:${lineOf(text, m.index)}: ${m[0]} builds a code at run time; name it instead`,
      );
    }
  }
  return problems;
}

function checkCodes(
  md: string,
  source: Set<string>,
  undocumented: Record<string, string>,
  retired: Record<string, string> = RETIRED_CODES,
): string[] {
  const problems: string[] = [];
  const documented = new Map<string, number>();
  const upgrade = sectionLines(md, "## Upgrade");
  for (const m of md.matchAll(CODE)) {
    const line = lineOf(md, m.index);
    if (m[0] in retired) {
      if (line < upgrade.from || line > upgrade.to) {
        problems.push(
          `README:${line}: ${m[0]} is retired (${retired[m[0]]}); name it only in ## Upgrade`,
        );
      }
      continue;
    }
    if (!documented.has(m[0])) documented.set(m[0], line);
  }
  for (const [code, line] of documented) {
    if (!source.has(code)) problems.push(`README:${line}: ${code} is not used anywhere in src/`);
  }
  for (const code of Object.keys(retired)) {
    if (source.has(code)) problems.push(`retired ${code} is used in src/ again: drop it here`);
  }
  for (const code of source) {
    if (documented.has(code) || code in undocumented) continue;
    problems.push(`${code} is used in src/ but README does not document it`);
  }
  for (const code of Object.keys(undocumented)) {
    if (!source.has(code)) problems.push(`allowlisted ${code} is no longer used in src/`);
    if (documented.has(code)) problems.push(`allowlisted ${code} is documented: drop it here`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// 2. CLI

interface CommandNode {
  path: string;
  options: Set<string>;
  /** The options themselves, one each (`options` holds both names of `-n, --lines`). */
  optionList: { long?: string; short?: string }[];
  subs: Map<string, CommandNode>;
}

function commandTree(command: Command, path = ""): CommandNode {
  const node: CommandNode = { path, options: new Set(), optionList: [], subs: new Map() };
  for (const option of command.options) {
    node.optionList.push({ long: option.long, short: option.short });
    if (option.long) node.options.add(option.long);
    if (option.short) node.options.add(option.short);
  }
  for (const sub of command.commands) {
    const child = commandTree(sub, `${path} ${sub.name()}`.trim());
    for (const name of [sub.name(), ...sub.aliases()]) node.subs.set(name, child);
  }
  return node;
}

function leaves(node: CommandNode): string[] {
  if (node.subs.size === 0) return [node.path];
  return [...new Set(node.subs.values())].flatMap(leaves);
}

interface Resolved {
  nodes: CommandNode[];
  problems: string[];
}

const WORD = /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/;

function tokenize(text: string): string[] {
  return text.replace(/\\\|/g, "|").split(/\s+/)
    .map((t) => t.replace(/^[[(]+|[\]),…]+$/g, "").replace(/…/g, ""))
    .filter((t) => t.length > 0);
}

function flagName(token: string): string | null {
  const m = /^(--?[A-Za-z][A-Za-z0-9-]*)(=.*)?$/.exec(token);
  return m ? m[1] : null;
}

/**
 * Resolves `apps update APP --name X` against the tree. In a list of commands sharing a group
 * (`webhooks add …` / `list APP` / `remove ID`), `context` carries the group and the previous
 * command, so `list APP` means `webhooks list` and a flag-only part belongs to the previous one.
 */
function resolveCommand(
  root: CommandNode,
  text: string,
  context: { group?: CommandNode; leaf?: CommandNode } = {},
): Resolved {
  const tokens = tokenize(text);
  const globals = new Set([...root.options, "--help", "-h"]);
  const problems: string[] = [];
  let i = 0;
  if (context.leaf && tokens[0]?.startsWith("-") && !globals.has(flagName(tokens[0]) ?? "")) {
    return checkFlags([context.leaf], tokens, globals);
  }
  while (i < tokens.length && tokens[i].startsWith("-")) {
    const flag = flagName(tokens[i]);
    if (!flag || !globals.has(flag)) problems.push(`securix has no option ${tokens[i]}`);
    i += tokens[i] === "--config" || tokens[i] === "-c" ? 2 : 1;
  }
  if (i >= tokens.length) return { nodes: [root], problems };
  const first = tokens[i];
  let nodes: CommandNode[];
  const top = first.split("|").map((n) => root.subs.get(n));
  const grouped = first.split("|").map((n) => context.group?.subs.get(n));
  if (top.every(Boolean)) nodes = top as CommandNode[];
  else if (grouped.every(Boolean)) nodes = grouped as CommandNode[];
  else return { nodes: [], problems: [...problems, `securix has no command "${first}"`] };
  i++;
  while (i < tokens.length && WORD.test(tokens[i]) && nodes.some((n) => n.subs.size > 0)) {
    const next: CommandNode[] = [];
    for (const node of nodes) {
      for (const name of tokens[i].split("|")) {
        const sub = node.subs.get(name);
        if (sub) next.push(sub);
        else problems.push(`"securix ${node.path}" has no subcommand "${name}"`);
      }
    }
    if (next.length === 0) return { nodes: [], problems };
    nodes = next;
    i++;
  }
  const flags = checkFlags(nodes, tokens.slice(i), globals);
  return { nodes, problems: [...problems, ...flags.problems] };
}

function checkFlags(nodes: CommandNode[], tokens: string[], globals: Set<string>): Resolved {
  const problems: string[] = [];
  for (const token of tokens) {
    const flag = flagName(token);
    if (!flag) continue;
    for (const node of nodes) {
      if (!node.options.has(flag) && !globals.has(flag)) {
        problems.push(`"securix ${node.path}" has no option ${flag}`);
      }
    }
  }
  return { nodes, problems };
}

/** Each part of a command list (`a …` / `b …` in a table cell, `a | b` in prose), resolved. */
function resolveParts(root: CommandNode, parts: string[]): Resolved[] {
  const resolved: Resolved[] = [];
  let context: { group?: CommandNode; leaf?: CommandNode } = {};
  for (const part of parts) {
    const r = resolveCommand(root, part, context);
    resolved.push(r);
    const leaf = r.nodes[0];
    if (leaf && leaf !== root) {
      context = { group: root.subs.get(leaf.path.split(" ")[0]), leaf };
    }
  }
  return resolved;
}

function resolveList(root: CommandNode, parts: string[]): Resolved {
  const all = resolveParts(root, parts);
  return { nodes: all.flatMap((r) => r.nodes), problems: all.flatMap((r) => r.problems) };
}

/** The calls a prose code span makes: `securix x …`, or `group sub …` without the `securix`. */
function spanCalls(root: CommandNode, span: string): string[] {
  // In a code span `|` is an alternative (`approve|deny`, `verify | export`), not a pipe.
  const calls = [...span.matchAll(/(?:^|[\s(])securix\s+(.*)$/g)].map((m) => m[1])
    .filter((rest) => /^(--|[a-z])/.test(rest));
  // `service install --force`, `keys list`: a command of a group, without the `securix`.
  const group = root.subs.get(/^([a-z][a-z-]*) [a-z]/.exec(span)?.[1] ?? "");
  if (calls.length === 0 && group && group.subs.size > 0) calls.push(span);
  return calls;
}

/** Where a fenced block runs securix: after `securix `, up to a shell pipe or list. */
const INVOCATION = /(?:^|[\s(|;&])securix\s+([^|;&]*)/g;

function invocations(text: string): string[] {
  return [...text.matchAll(INVOCATION)]
    .map((m) => m[1].trim())
    // `journalctl -u securix -f`, `docker run … securix .`: another program's argument.
    .filter((rest) => /^(--|[a-z])/.test(rest));
}

function checkCli(
  md: string,
  root: CommandNode,
): { problems: string[]; tabled: Set<string>; checked: number } {
  const problems: string[] = [];
  let checked = 0;
  const tabled = new Set<string>();
  for (const row of tableRows(md, "## CLI")) {
    const cell = cells(row.text)[0];
    const parts = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const r = resolveList(root, parts);
    for (const node of r.nodes) tabled.add(node.path);
    problems.push(...r.problems.map((p) => `README:${row.line} (CLI table): ${p}`));
  }
  const { prose, fences } = splitFences(md);
  for (const span of codeSpans(prose)) {
    for (const call of spanCalls(root, span.text)) {
      const r = resolveList(root, call.split(/\s\|\s/));
      checked++;
      problems.push(...r.problems.map((p) => `README:${span.line}: ${p}`));
    }
  }
  for (const fence of fences) {
    for (const line of fence.lines) {
      // Comments are prose: checked as their own text, not as arguments of the command.
      for (const segment of line.text.split(/\s(?:#|\/\/)\s/)) {
        for (const call of invocations(segment)) {
          const r = resolveCommand(root, call);
          checked++;
          problems.push(...r.problems.map((p) => `README:${line.line}: ${p}`));
        }
      }
    }
  }
  return { problems, tabled, checked };
}

/**
 * Flags README documents once for every command that has them, each with the sentence that does
 * it: the sentence must stay in README, or each command's flag must be documented on its own.
 */
const SHARED_FLAGS: Record<string, string> = {
  "--json": "Commands that print records accept `--json`",
};

function flagsOf(text: string): string[] {
  return tokenize(text).map(flagName).filter((f): f is string => f !== null);
}

/**
 * Which flags README documents for which command. A flag is documented for a command when it
 * appears in code (a code span or a fenced command line) in one of the places README describes
 * that command:
 * - the command's own text in the CLI table's first column (`tail [-n --follow]`), or anywhere
 *   in the What-it-does column of its row;
 * - a command line that runs it (a code span or a line of a fenced block: `securix x --flag`);
 * - the paragraph, list item group or table row (of any table) that names it in a code span
 *   (`audit export`, `securix backup FILE`, or a bare top-level command such as `init`).
 * A flag of the root command (`--config`) is documented wherever a command line carries it.
 */
function documentedFlags(md: string, root: CommandNode): Map<CommandNode, Set<string>> {
  const documented = new Map<CommandNode, Set<string>>();
  const record = (nodes: CommandNode[], flags: string[]) => {
    for (const node of [...nodes, root]) {
      const set = documented.get(node) ?? new Set<string>();
      for (const flag of flags) if (node === root ? root.options.has(flag) : true) set.add(flag);
      documented.set(node, set);
    }
  };
  for (const row of tableRows(md, "## CLI")) {
    const [first, ...rest] = cells(row.text);
    const parts = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const resolved = resolveParts(root, parts);
    resolved.forEach((r, i) => record(r.nodes, flagsOf(parts[i])));
    const described = [...rest.join(" ").matchAll(/`([^`]+)`/g)].flatMap((m) => flagsOf(m[1]));
    record(resolved.flatMap((r) => r.nodes), described);
  }
  const { prose, fences } = splitFences(md);
  // Units: each table row, else each run of non-blank lines (a paragraph or a tight list); a
  // list right after a paragraph (one blank line between) belongs to it: "`init --yes` takes:".
  const units: string[] = [];
  const LIST_ITEM = /^\s*([-*]|\d+\.) /;
  let paragraph: string[] = [];
  let lead: { index: number; end: number } | null = null;
  prose.split("\n").concat("").forEach((line, i) => {
    if (line.startsWith("|")) units.push(line);
    if (line.trim() !== "" && !line.startsWith("|") && !/^#{1,6} /.test(line)) {
      paragraph.push(line);
      return;
    }
    if (paragraph.length === 0) return;
    const text = paragraph.join("\n");
    const start = i - paragraph.length;
    paragraph = [];
    if (LIST_ITEM.test(text) && lead && lead.end === start - 2) {
      units[lead.index] += "\n" + text;
      lead = null;
      return;
    }
    units.push(text);
    lead = LIST_ITEM.test(text) ? null : { index: units.length - 1, end: i - 1 };
  });
  for (const unit of units) {
    const spans = [...unit.matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s+/g, " "));
    const named: CommandNode[] = [];
    for (const span of spans) {
      const calls = spanCalls(root, span);
      if (calls.length === 0 && root.subs.has(/^[a-z][a-z-]*/.exec(span)?.[0] ?? "")) {
        calls.push(span);
      }
      for (const call of calls) {
        const parts = resolveParts(root, call.split(/\s\|\s/));
        parts.forEach((r, i) => {
          if (r.problems.length > 0) return;
          named.push(...r.nodes);
          record(r.nodes, flagsOf(call.split(/\s\|\s/)[i]));
        });
      }
    }
    record(named, spans.flatMap(flagsOf));
  }
  for (const fence of fences) {
    for (const line of fence.lines) {
      for (const segment of line.text.split(/\s(?:#|\/\/)\s/)) {
        for (const call of invocations(segment)) {
          const r = resolveCommand(root, call);
          if (r.problems.length === 0) record(r.nodes, flagsOf(call));
        }
      }
    }
  }
  return documented;
}

function allNodes(node: CommandNode): CommandNode[] {
  return [node, ...[...new Set(node.subs.values())].flatMap(allNodes)];
}

/** Every option of every command must be documented where README describes that command. */
function checkFlagsDocumented(
  md: string,
  root: CommandNode,
  shared: Record<string, string> = SHARED_FLAGS,
): { problems: string[]; flags: number } {
  const problems: string[] = [];
  const everywhere = new Set<string>();
  for (const [flag, sentence] of Object.entries(shared)) {
    if (md.replace(/\s+/g, " ").includes(sentence)) everywhere.add(flag);
    else problems.push(`README lost "${sentence}": document ${flag} for each command instead`);
  }
  const documented = documentedFlags(md, root);
  let flags = 0;
  for (const node of allNodes(root)) {
    const mine = documented.get(node) ?? new Set();
    for (const option of node.optionList) {
      flags++;
      const names = [option.long, option.short].filter((n): n is string => Boolean(n));
      if (names.some((n) => mine.has(n) || everywhere.has(n))) continue;
      const where = node === root ? "securix" : `securix ${node.path}`;
      problems.push(`"${where}" option ${names.join(", ")} is not documented in README`);
    }
  }
  return { problems, flags };
}

// ---------------------------------------------------------------------------------------------
// 3. Configuration

// deno-lint-ignore no-explicit-any
type AnyZod = any;

/** The schema under defaults, optionals and pipes: the object (or record) a key names. */
function unwrap(schema: AnyZod): AnyZod {
  let s = schema;
  for (;;) {
    const def = s._zod.def;
    if (["default", "prefault", "optional", "nullable", "readonly", "catch"].includes(def.type)) {
      s = def.innerType;
    } else if (def.type === "pipe") s = def.in;
    else return s;
  }
}

function shapeOf(schema: AnyZod): Record<string, AnyZod> | null {
  const s = unwrap(schema);
  return s._zod.def.type === "object" ? s._zod.def.shape : null;
}

interface ConfigRow {
  section: string;
  key: string | null;
  placeholder: boolean;
  text: string;
  line: number;
}

function configRows(md: string): ConfigRow[] {
  const rows: ConfigRow[] = [];
  for (const row of tableRows(md, "## Configuration")) {
    const [keyCell, ...rest] = cells(row.text);
    for (const m of keyCell.matchAll(/`([^`]+)`/g)) {
      const name = m[1] === "[[rules]]" ? "rules" : m[1];
      const [section, key = null] = name.split(/\.(.*)/s);
      rows.push({
        section,
        key,
        placeholder: key !== null && /^<.*>$/.test(key),
        text: rest.join(" | "),
        line: row.line,
      });
    }
  }
  return rows;
}

function checkConfig(md: string, schema: AnyZod): string[] {
  const problems: string[] = [];
  const top = shapeOf(schema)!;
  const rows = configRows(md);
  for (const row of rows) {
    const where = `README:${row.line} (Configuration table)`;
    if (!(row.section in top)) {
      problems.push(`${where}: there is no [${row.section}] section`);
      continue;
    }
    const shape = shapeOf(top[row.section]);
    if (row.key === null || row.placeholder || shape === null) continue;
    if (!(row.key in shape)) problems.push(`${where}: [${row.section}] has no key ${row.key}`);
  }
  for (const [section, value] of Object.entries(top)) {
    const mine = rows.filter((r) => r.section === section);
    if (mine.length === 0) {
      problems.push(`[${section}] is in the config schema but not in README's Configuration table`);
      continue;
    }
    const shape = shapeOf(value);
    if (!shape) continue;
    for (const [key, inner] of Object.entries(shape)) {
      const row = mine.find((r) => r.key === key) ??
        mine.find((r) => r.placeholder && r.text.includes(`\`${key}\``));
      if (!row) {
        problems.push(`${section}.${key} is in the config schema but not in README's table`);
        continue;
      }
      for (const nested of Object.keys(shapeOf(inner) ?? {})) {
        if (!row.text.includes(`\`${nested}\``)) {
          problems.push(`README:${row.line}: ${section}.${key}.${nested} is not named`);
        }
      }
    }
  }
  // The TOML examples are configuration too: each key under a known table must exist.
  for (const fence of splitFences(md).fences.filter((f) => f.lang === "toml")) {
    let table: string[] | null = null;
    for (const { text, line } of fence.lines) {
      const header = /^\s*\[([a-z0-9_.-]+)\]\s*(#.*)?$/.exec(text);
      if (header) {
        table = header[1].split(".");
        continue;
      }
      if (/^\s*\[\[/.test(text)) {
        table = null; // [[rules]], [[providers.x.operations]]: entries, not settings
        continue;
      }
      const key = /^\s*([a-z_][a-z0-9_]*)\s*=/.exec(text)?.[1];
      if (!key || !table) continue;
      if (table[0] === "providers") {
        if (table.length === 2 && !PROVIDER_KEYS.includes(key)) {
          problems.push(`README:${line}: [providers.${table[1]}] has no key ${key}`);
        }
        continue;
      }
      let shape: Record<string, AnyZod> | null = top;
      for (const part of table) shape = shape && part in shape ? shapeOf(shape[part]) : null;
      if (table[0] in top && shape && !(key in shape)) {
        problems.push(`README:${line}: [${table.join(".")}] has no key ${key}`);
      }
    }
  }
  return problems;
}

/** `[providers.<name>]` keys: README's list of accepted keys against the provider schema. */
function checkProviderKeys(md: string, keys: readonly string[]): string[] {
  const problems: string[] = [];
  const start = md.indexOf("Keys every provider\naccepts:");
  assert.ok(start >= 0, "README lost its sentence listing the provider keys");
  const end = md.indexOf("A typo is refused", start);
  const listed = [...md.slice(start, end).matchAll(/`([a-z_]+)`/g)];
  for (const m of listed) {
    if (!keys.includes(m[1])) {
      problems.push(`README:${lineOf(md, start + m.index)}: providers accept no key ${m[1]}`);
    }
  }
  const { prose, fences } = splitFences(md);
  const code = codeSpans(prose).map((s) => s.text).join("\n") + "\n" +
    fences.flatMap((f) => f.lines.map((l) => l.text)).join("\n");
  for (const key of keys) {
    if (!new RegExp(`\\b${key}\\b`).test(code)) {
      problems.push(`provider key ${key} is not mentioned in README`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// 3b. The rules file: [[rules]] fields and [scopes.<name>] keys

/**
 * `[[rules]]` fields against the rule schema, both ways: every field the schema accepts has its
 * row in README's "### Rule reference" table (first column; a table-valued field such as
 * `condition` names each of its keys in that row), every field that column names is accepted,
 * every `[scopes.<name>]` key is named in code in the Rules section, and every ```toml block
 * holding `[[rules]]` parses and passes the real rules parser (unknown keys, misplaced fields,
 * bad values), as an operator copying it would find out.
 */
function checkRules(
  md: string,
  rule: AnyZod,
  scope: AnyZod,
): { problems: string[]; rules: number } {
  const problems: string[] = [];
  const shape = shapeOf(rule)!;
  const rows = tableRows(md, "### Rule reference");
  const named = new Map<string, Located>();
  for (const row of rows) {
    for (const m of cells(row.text)[0].matchAll(/`([^`]+)`/g)) named.set(m[1], row);
  }
  for (const [field, row] of named) {
    if (!(field in shape)) {
      problems.push(`README:${row.line} (Rule reference): [[rules]] has no field ${field}`);
    }
  }
  for (const [field, inner] of Object.entries(shape)) {
    const row = named.get(field);
    if (!row) {
      problems.push(`[[rules]] field ${field} is not in README's Rule reference table`);
      continue;
    }
    for (const key of Object.keys(shapeOf(inner) ?? {})) {
      if (!row.text.includes(`\`${key}\``)) {
        problems.push(`README:${row.line}: [[rules]] ${field}.${key} is not named`);
      }
    }
  }
  const section = sectionLines(md, "## Rules");
  const rulesText = md.split("\n").slice(section.from, section.to).join("\n");
  const code = [...rulesText.matchAll(/`([^`]+)`/g)].map((m) => m[1]).join("\n");
  for (const key of Object.keys(shapeOf(scope)!)) {
    if (!new RegExp(`\\b${key}\\b`).test(code)) {
      problems.push(`[scopes.<name>] key ${key} is not named in README's Rules section`);
    }
  }
  let rules = 0;
  for (const fence of splitFences(md).fences) {
    if (fence.lang !== "toml" || !fence.lines.some((l) => /^\s*\[\[rules\]\]/.test(l.text))) {
      continue;
    }
    const first = fence.lines[0]?.line ?? 0;
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(fence.lines.map((l) => l.text).join("\n"));
    } catch (error) {
      problems.push(
        `README:${first}: the [[rules]] example is not TOML: ${(error as Error).message}`,
      );
      continue;
    }
    rules += Array.isArray(doc.rules) ? doc.rules.length : 0;
    const parsed = parseRulesConfig(doc.rules, doc.scopes);
    if (parsed.ok) continue;
    for (const issue of parsed.issues) {
      problems.push(`README:${first} ([[rules]] example): ${issue.path}: ${issue.message}`);
    }
  }
  return { problems, rules };
}

// ---------------------------------------------------------------------------------------------
// 4. HTTP routes

const ROUTE = /\b(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(\/v1\/[^\s`'"),;]*)/g;

function normalisePath(path: string): string {
  const bare = path.split("?")[0].replace(/[.…:]+$/, "").replace(/\/+$/, "");
  return bare.split("/").map((s) => /^(\{.*\}|<.*>|:.+)$/.test(s) ? ":param" : s).join("/");
}

function readmeRoutes(md: string): Map<string, number> {
  const routes = new Map<string, number>();
  for (const m of md.matchAll(ROUTE)) {
    const key = `${m[1]} ${normalisePath(m[2])}`;
    if (!routes.has(key)) routes.set(key, lineOf(md, m.index));
  }
  return routes;
}

function checkRoutes(md: string, app: Set<string>): string[] {
  const problems: string[] = [];
  const documented = readmeRoutes(md);
  for (const [route, line] of documented) {
    if (!app.has(route)) problems.push(`README:${line}: the app has no route ${route}`);
  }
  for (const route of app) {
    if (!documented.has(route)) problems.push(`${route} is served but README does not name it`);
  }
  return problems;
}

async function appRoutes(): Promise<Set<string>> {
  const temp = await openTempAppliance();
  try {
    const { app } = await createApp(temp.appliance, {
      providers: { enabled: new Map(), known: new Set() },
      // Portal routes are registered only with a portal; nothing here runs a request.
      portal: {
        choices: new PortalChoices({ database: temp.appliance.database }),
        proxy: () => null,
      },
      log: () => {},
    });
    return new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/") && !r.path.includes("*"))
        .map((r) => `${r.method} ${normalisePath(r.path)}`),
    );
  } finally {
    await temp.cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// The tests

function program(): CommandNode {
  const io = { out: () => {}, err: () => {}, env: () => undefined, cwd: () => "." };
  return commandTree(buildProgram(io).program);
}

function schema(): AnyZod {
  return configSchema({ env: () => undefined, readFile: () => Promise.resolve(""), baseDir: "." });
}

const report = (problems: string[]) => `\n  ${problems.join("\n  ")}\n`;

Deno.test("README: every SX code it names exists in src/, and every code src/ uses is documented", async () => {
  const problems = [
    ...checkCodes(README, await sourceCodes(), UNDOCUMENTED_CODES),
    ...builtCodes(await sourceFiles()),
  ];
  assert.deepEqual(problems, [], report(problems));
});

Deno.test("README: every securix command and flag it names exists, and the CLI table lists every command", () => {
  const root = program();
  const { problems, tabled, checked } = checkCli(README, root);
  // The parsing itself must keep finding what README holds, or every check passes vacuously.
  assert.ok(tabled.size >= 50 && checked >= 60, `only ${tabled.size} tabled, ${checked} calls`);
  for (const path of leaves(root)) {
    if (!tabled.has(path)) problems.push(`"securix ${path}" is missing from README's CLI table`);
  }
  assert.deepEqual(problems, [], report(problems));
});

Deno.test("README: every option of every securix command is documented where README describes the command", () => {
  const { problems, flags } = checkFlagsDocumented(README, program());
  // Reading the program must keep finding its options, or the check passes vacuously.
  assert.ok(flags >= 100, `only ${flags} options read from the program`);
  assert.deepEqual(problems, [], report(problems));
});

Deno.test("README: the Configuration table and TOML examples match the config schema", () => {
  const rows = configRows(README).length;
  assert.ok(rows >= 30, `only ${rows} configuration rows read: the table's parsing broke`);
  const problems = [
    ...checkConfig(README, schema()),
    ...checkProviderKeys(README, PROVIDER_KEYS),
  ];
  assert.deepEqual(problems, [], report(problems));
});

Deno.test("README: the Rule reference table and the [[rules]] examples match the rule schema", () => {
  const { problems, rules } = checkRules(README, ruleSchema, scopeSchema);
  // The examples must keep being found, or their validation passes vacuously.
  assert.ok(rules >= 8, `only ${rules} [[rules]] read from README's toml examples`);
  assert.deepEqual(problems, [], report(problems));
});

Deno.test("README: every /v1 route it names is served, and every served /v1 route is named", async () => {
  const problems = checkRoutes(README, await appRoutes());
  assert.deepEqual(problems, [], report(problems));
});

// The checks must be able to fail: a README line naming something that does not exist.
Deno.test("README checks catch a bogus code, command, flag, key and route", async () => {
  const source = await sourceCodes();
  const bogusCode = README + "\n`SX-NO-SUCH-CODE` (400)\n";
  assert.ok(
    checkCodes(bogusCode, source, UNDOCUMENTED_CODES).some((p) => p.includes("SX-NO-SUCH-CODE")),
  );
  const dropped = new Set([...source, "SX-BRAND-NEW"]);
  assert.ok(
    checkCodes(README, dropped, UNDOCUMENTED_CODES).some((p) => p.includes("SX-BRAND-NEW")),
  );
  // A retired code is fine in ## Upgrade, refused anywhere else, and refused once src/ uses it again.
  const retired = { ...RETIRED_CODES, "SX-OLD-CODE": "test" };
  const upgradeAt = README.indexOf("## Upgrade\n") + "## Upgrade\n".length;
  const inUpgrade = README.slice(0, upgradeAt) + "\n`SX-OLD-CODE` → `SX-PAUSED`\n" +
    README.slice(upgradeAt);
  assert.deepEqual(checkCodes(inUpgrade, source, UNDOCUMENTED_CODES, retired), []);
  assert.ok(
    checkCodes("`SX-OLD-CODE` (409)\n" + README, source, UNDOCUMENTED_CODES, retired)
      .some((p) => p.includes("SX-OLD-CODE is retired")),
  );
  assert.ok(
    checkCodes(inUpgrade, new Set([...source, "SX-OLD-CODE"]), UNDOCUMENTED_CODES, retired)
      .some((p) => p.includes("retired SX-OLD-CODE is used in src/ again")),
  );

  const root = program();
  const cli = (md: string) => checkCli(md, root).problems;
  assert.deepEqual(cli("run `securix apps create NAME --origin URL`"), []);
  assert.ok(cli("run `securix apps frobnicate NAME`").some((p) => p.includes("no subcommand")));
  assert.ok(cli("run `securix frobnicate`").some((p) => p.includes('no command "frobnicate"')));
  assert.ok(
    cli("```sh\nsecurix apps create demo --bogus-flag\n```").some((p) =>
      p.includes("--bogus-flag")
    ),
  );
  assert.ok(
    cli("```sh\ndeno task securix keys create demo --roll agent\n```").some((p) =>
      p.includes("--roll")
    ),
  );
  const table = (cell: string) => `## CLI\n\n| Command | What |\n| - | - |\n| ${cell} | x |\n`;
  assert.deepEqual(
    cli(table("`webhooks add APP URL [--events …]` / `list APP` / `remove ID`")),
    [],
  );
  assert.ok(
    cli(table("`webhooks add APP URL` / `list APP [--bogus]`")).some((p) => p.includes("--bogus")),
  );
  assert.ok(
    cli(table("`apps update APP` / `--no-such-switch`")).some((p) =>
      p.includes("--no-such-switch")
    ),
  );

  // Flags: one dropped from README is missed; a flag counts only where its command is described.
  const flagged = (md: string) => checkFlagsDocumented(md, root).problems;
  assert.deepEqual(flagged(README), []);
  assert.ok(
    flagged(README.replace("rotate-secret ID [--grace-hours N]", "rotate-secret ID"))
      .some((p) => p.includes('"securix webhooks rotate-secret" option --grace-hours')),
  );
  assert.ok(
    flagged(README.replace("Commands that print records accept `--json`", "Commands print"))
      .some((p) => p.includes("document --json for each command")),
  );
  const tiny = `## CLI\n\n| Command | What |\n| - | - |\n| \`audit export\` | x |\n`;
  assert.ok(flagged(tiny).some((p) => p.includes('"securix audit export" option --output')));
  assert.ok(
    !flagged(tiny + "\n`audit export` writes JSON Lines; `--output FILE` writes a file.\n")
      .some((p) => p.includes('"securix audit export" option --output')),
  );
  assert.ok(
    flagged(tiny + "\n`audit tail` follows; `--output FILE` writes a file.\n")
      .some((p) => p.includes('"securix audit export" option --output')),
  );
  assert.ok(
    !flagged(tiny + "\n`audit export` takes:\n\n- `--output FILE`: a file.\n")
      .some((p) => p.includes('"securix audit export" option --output')),
  );
  assert.ok(
    flagged(tiny + "\n`audit export` takes:\n\nmore.\n\n- `--output FILE`: a file.\n")
      .some((p) => p.includes('"securix audit export" option --output')),
  );
  assert.ok(
    !flagged(tiny + "\n```sh\nsecurix audit export --output a.jsonl\n```\n")
      .some((p) => p.includes('"securix audit export" option --output')),
  );

  // Rules: a field the schema does not accept, a field README lost, an example that drifted.
  const rules = (md: string, rule: AnyZod = ruleSchema) =>
    checkRules(md, rule, scopeSchema).problems;
  assert.ok(
    rules(README.replace("| `enabled`  ", "| `enabled` / `priority`  ")).some((p) =>
      p.includes("has no field priority")
    ),
  );
  assert.ok(
    rules(README.replace(/^\| `wait` .*\n/m, "")).some((p) => p.includes("field wait is not")),
  );
  assert.ok(
    rules(README, z.object({ ...shapeOf(ruleSchema), brand_new: z.string() }))
      .some((p) => p.includes("field brand_new is not")),
  );
  assert.ok(
    rules(README.replace("`method_in`, ", "")).some((p) => p.includes("condition.method_in")),
  );
  assert.ok(
    rules(README.replace("burst = 20  ", "bursts = 20 ")).some((p) =>
      p.includes("rules[0] (gmail_reads).bursts: unknown key (did you mean burst?)")
    ),
  );
  assert.ok(
    rules(README.replace('per = "agent"', 'per = "user"')).some((p) => p.includes(".per:")),
  );
  assert.ok(
    rules(README.replace("operations = [", "ops = [")).some((p) => p.includes("scopes.mail_send")),
  );

  // A code built at run time cannot be checked against README.
  assert.deepEqual(
    builtCodes(new Map([["src/x.ts", 'const a = "SX-A";\nnew E(`SX-HTTP-${status}`);\n']])),
    ["src/x.ts:2: `SX-HTTP-${status}` builds a code at run time; name it instead"],
  );
  assert.equal(builtCodes(new Map([["src/y.ts", 'throw e("SX-" + kind);']])).length, 1);

  const config = schema();
  const withRow = (row: string) =>
    README.replace("| `server.listen` ", `${row}\n| \`server.listen\` `);
  assert.ok(
    checkConfig(withRow("| `server.no_such_key` | 1 | x |"), config).some((p) =>
      p.includes("no_such_key")
    ),
  );
  assert.ok(
    checkConfig(withRow("| `nosection.key` | 1 | x |"), config).some((p) =>
      p.includes("nosection")
    ),
  );
  assert.ok(
    checkConfig(README.replace(/^\| `proxy\.upstream_timeout_ms`.*\n/m, ""), config)
      .some((p) => p.includes("proxy.upstream_timeout_ms")),
  );
  assert.ok(
    checkConfig(README + "\n```toml\n[server]\nlisten_port = 1\n```\n", config)
      .some((p) => p.includes("listen_port")),
  );
  assert.ok(
    checkProviderKeys(
      README.replace("`enabled`, `display_name`", "`enabled`, `bogus_key`"),
      PROVIDER_KEYS,
    )
      .some((p) => p.includes("bogus_key")),
  );

  const routes = await appRoutes();
  assert.ok(
    checkRoutes(README + "\n`GET /v1/no-such/{id}`\n", routes).some((p) =>
      p.includes("/v1/no-such/:param")
    ),
  );
  assert.ok(
    checkRoutes(README, new Set([...routes, "GET /v1/brand-new"])).some((p) =>
      p.includes("brand-new")
    ),
  );
});
