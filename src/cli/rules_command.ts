import type { Command } from "commander";
import { type Config, findConfigPath, readConfigFile } from "../config/load.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { resolveProviders } from "../providers/resolve_providers.ts";
import { proxyRoutes } from "../providers/provider_registry.ts";
import { loadRuleSet } from "../rules/rule_book.ts";
import type { RuleConfig } from "../rules/rule_schema.ts";
import { compileRules } from "../rules/rule_set.ts";
import { parseRate } from "../security/rate.ts";
import { CliExit } from "./cli_exit.ts";
import { lintConfigRules } from "./config_rules_lint.ts";
import type { CliContext } from "./context.ts";
import { type CliIo, printJson, printTable } from "./io.ts";
import { notServe, pidFile, processCommand, readPid, signalProcess } from "./pid_file.ts";
import { type DryRun, dryRun, dryRunExitCode } from "./rules_dry_run.ts";

/**
 * `securix rules list|lint|test|reload`: the `[[rules]]` of securix.toml as
 * the appliance reads them, what is wrong with them, what they decide for
 * one call, and putting an edited file in force in a running `serve`. None
 * of them opens the database or contacts a provider.
 *
 * Exit codes: `lint` 1 when it finds an error; `test` 0 allowed (perhaps with
 * hide or redact), 3 denied, 4 when send conditions need `--body` to decide;
 * `reload` 1 when the rules do not validate or no running serve is found.
 */
export function registerRules(program: Command, context: CliContext): void {
  const rules = program.command("rules").description(
    "show, check, try and reload the [[rules]] of securix.toml",
  );
  rules.command("list")
    .description("list the rules (source, scope, target, classes, effect), the scopes and the hash")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const config = await loadConfig(context);
      listRules(context.io, config, options.json ?? false);
    });
  rules.command("lint")
    .description(
      "check the rules against the enabled providers' operations: unknown targets, " +
        "unreachable rules, overlapping denies (exit 1 on errors)",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const config = await loadConfig(context);
      const { set, findings } = lintConfigRules(config);
      const errors = findings.filter((f) => f.level === "error").length;
      if (options.json) {
        printJson(context.io, {
          rules: set.rules.length,
          scopes: set.scopes.length,
          errors,
          warnings: findings.length - errors,
          findings,
        });
      } else if (findings.length === 0) {
        context.io.out(`No problems found (${plural(set.rules.length, "rule")})`);
      } else {
        printTable(context.io, findings.map((f) => ({ ...f })), ["level", "rule", "message"], "");
        context.io.out("");
        context.io.out(
          `${plural(errors, "error")}, ${plural(findings.length - errors, "warning")} ` +
            `in ${plural(set.rules.length, "rule")}`,
        );
      }
      if (errors > 0) throw new CliExit(1);
    });
  rules.command("test")
    .description(
      "show what the rules decide for one call, without calling the provider " +
        "(exit 0 allowed, 3 denied, 4 depends on the body)",
    )
    .requiredOption("--app <name>", "the calling app's name")
    .requiredOption("--agent <id>", "the agent id")
    .requiredOption("--entity <id>", "the entity (end user) id")
    .option("--method <method>", "HTTP method", "GET")
    .requiredOption(
      "--url <url>",
      "the proxied URL: https://<provider>.api.<base_domain>/… or https://<appliance>/proxy/<provider>/…",
    )
    .option("--provider <name>", "the provider (or proxy host) whatever the URL's host")
    .option("--body <file>", "request body to check send conditions (and GraphQL documents)")
    .option(
      "--content-type <type>",
      "the body's Content-Type (default: application/json when the body is JSON)",
    )
    .option("--json", "print JSON")
    .action(async (options: TestOptions) => {
      const config = await loadConfig(context);
      const result = await testCall(config, options);
      if (options.json) {
        printJson(context.io, { ...result, exitCode: dryRunExitCode(result.decision) });
      } else printDryRun(context.io, result);
      const code = dryRunExitCode(result.decision);
      if (code !== 0) throw new CliExit(code);
    });
  rules.command("reload")
    .description("validate the rules, then tell the running securix serve to reload them (SIGHUP)")
    .action(async () => {
      await reloadRules(context);
    });
}

async function loadConfig(context: CliContext): Promise<Config> {
  const { config, notes } = await context.config();
  for (const note of notes) context.io.err(note);
  return config;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function listRules(io: CliIo, config: Config, json: boolean): void {
  const set = compileRules(config.rules, config.scopes);
  const source = config.source ? config.source.slice(config.source.lastIndexOf("/") + 1) : null;
  if (json) {
    return printJson(io, {
      source: config.source,
      hash: set.hash,
      rules: config.rules.map((rule, i) => ({ order: i + 1, ...rule })),
      scopes: config.scopes,
    });
  }
  if (config.rules.length === 0 && Object.keys(config.scopes).length === 0) {
    for (const line of NO_RULES) io.out(line);
    return;
  }
  printTable(
    io,
    config.rules.map((rule, i) => ({
      name: rule.name,
      source: `${source ?? "securix.toml"}, file order ${i + 1}`,
      scope: scopeOf(rule),
      target: rule.target,
      classes: rule.classes ?? "(any)",
      effect: effectOf(rule),
      enabled: rule.enabled ? "yes" : "no",
    })),
    ["name", "source", "scope", "target", "classes", "effect", "enabled"],
    "No rules",
  );
  io.out("");
  printTable(
    io,
    Object.entries(config.scopes).map(([name, scope]) => ({
      scope: name,
      operations: scope.operations,
      enabled: scope.enabled ? "yes" : "no (SX-SCOPE-DISABLED)",
      description: scope.description ?? "",
    })),
    ["scope", "operations", "enabled", "description"],
    "No scopes",
  );
  io.out("");
  io.out(`Rule set hash: ${set.hash}`);
}

const NO_RULES = [
  "No rules: every call is forwarded as it comes. Add [[rules]] to securix.toml, for example:",
  "",
  "  [[rules]]",
  '  name = "read_only_github"',
  '  target = "github.*"',
  '  classes = ["write", "send", "delete"]',
  '  effect = "deny"',
  "",
  "then check them with securix rules lint and apply them with securix rules reload.",
];

function scopeOf(rule: RuleConfig): string {
  const parts = (["apps", "agents", "entities"] as const)
    .filter((key) => rule[key] !== undefined)
    .map((key) => `${key}=${rule[key]!.join(",")}`);
  return parts.length > 0 ? parts.join(" ") : "all";
}

function effectOf(rule: RuleConfig): string {
  const condition = rule.condition ? Object.keys(rule.condition) : [];
  const detail = rule.effect === "redact"
    ? [...(rule.patterns ?? []), ...(rule.regex !== undefined ? ["regex"] : [])]
    : rule.effect === "hide"
    ? [
      ...(rule.labels ?? []).map((l) => `label ${l}`),
      ...(rule.folders ?? []).map((f) => `folder ${f}`),
    ]
    : rule.effect === "limit"
    ? [
      `${rule.rate}`,
      `burst ${rule.burst ?? parseRate(rule.rate!)!.count}`,
      `per ${rule.per ?? "connection"}`,
    ]
    : [];
  return rule.effect + (detail.length > 0 ? ` (${detail.join(", ")})` : "") +
    (condition.length > 0 ? ` if ${condition.join(" and ")}` : "");
}

interface TestOptions {
  app: string;
  agent: string;
  entity: string;
  method: string;
  url: string;
  provider?: string;
  body?: string;
  contentType?: string;
  json?: boolean;
}

async function testCall(config: Config, options: TestOptions): Promise<DryRun> {
  let body: Uint8Array | null = null;
  if (options.body !== undefined) {
    try {
      body = await Deno.readFile(options.body);
    } catch (error) {
      throw new SecurixError(
        "SX-RULES-TEST-BODY",
        `--body ${options.body} cannot be read: ${(error as Error).message}`,
        { status: 400 },
      );
    }
  }
  // Lazy: a custom OIDC provider's routes are known without asking its issuer.
  const routes = proxyRoutes(await resolveProviders(config.providers, { lazy: true }));
  return dryRun({
    appName: options.app,
    agentId: options.agent,
    entityId: options.entity,
    method: options.method,
    url: options.url,
    provider: options.provider ?? null,
    body,
    contentType: options.contentType ?? (body !== null && isJson(body) ? "application/json" : null),
  }, {
    set: compileRules(config.rules, config.scopes),
    routes,
    baseDomain: config.server.base_domain,
    maxInspectBytes: config.proxy.max_inspect_bytes,
  });
}

function isJson(body: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder().decode(body));
    return true;
  } catch {
    return false;
  }
}

function printDryRun(io: CliIo, r: DryRun): void {
  const op = r.operation;
  const rows: [string, string][] = [
    ["provider", r.host === r.provider ? r.provider : `${r.provider} (host ${r.host})`],
    ["call", `${r.method} ${r.path}${r.query}`],
    ["operation", op.id],
    ["class", op.class],
    [
      "multiplexed",
      op.multiplexed
        ? "yes: may carry any operation of the provider, every rule on it applies"
        : "no",
    ],
    ["matched rules", r.matched.length > 0 ? r.matched.join(", ") : "none"],
  ];
  if (r.operationInBody) {
    rows.splice(3, 0, ["", "named in the body: pass --body FILE to resolve it from the document"]);
  }
  for (const c of r.conditional) {
    rows.push([
      "condition",
      `${c.rule}: ${
        c.outcome === "denies"
          ? "the body meets its condition, it denies"
          : c.outcome === "passes"
          ? "the body does not meet its condition"
          : "needs the body (--body FILE) to decide"
      }`,
    ]);
  }
  if (r.hide) {
    const what = [
      ...r.hide.labels.map((l) => `label "${l}"`),
      ...r.hide.folders.map((f) => `folder ${f}`),
    ].join(", ");
    rows.push(["hide", `${r.hide.rules.join(", ")}: ${what}`]);
    if (r.hide.query !== null) rows.push(["narrowed query", r.hide.query || "(none)"]);
    if (r.decision.kind !== "denied") {
      rows.push(["", "single items checked against hidden labels/folders at call time"]);
    }
  }
  if (r.redact && r.decision.kind !== "denied") {
    rows.push([
      "redact",
      `answers redacted: ${r.redact.kinds.join(", ")} (${r.redact.rules.join(", ")})`,
    ]);
  }
  rows.push(["decision", decisionLine(r)]);
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [key, value] of rows) io.out(`${key.padEnd(width)}  ${value}`.trimEnd());
}

function decisionLine(r: DryRun): string {
  const d = r.decision;
  if (d.kind === "depends_on_body") {
    return `depends on the body: ${d.rules.join(", ")} ${
      d.rules.length === 1 ? "checks" : "check"
    } the message; run again with --body FILE`;
  }
  if (d.kind === "allowed") {
    const effects = [r.hide ? "hidden items filtered" : "", r.redact ? "answers redacted" : ""]
      .filter(Boolean);
    return effects.length > 0 ? `allowed (${effects.join(", ")})` : "allowed";
  }
  if (d.scope !== null) return `scope disabled: ${d.scope} (${d.code})`;
  return `denied by ${d.rule} (${d.code}): ${d.llmError ?? d.message}`;
}

/**
 * Validates the rules first: a broken file would only make the running
 * serve log an error and keep its rules, which the operator may not see.
 */
async function reloadRules(context: CliContext): Promise<void> {
  const { io } = context;
  const path = await findConfigPath({ path: context.configPath(), env: io.env, cwd: io.cwd() });
  if (path) {
    let raw: Record<string, unknown>;
    try {
      raw = await readConfigFile(path);
    } catch (error) {
      io.err(`Not reloaded: ${(error as Error).message}`);
      throw new CliExit(1);
    }
    const loaded = loadRuleSet(raw);
    if (!loaded.ok) {
      io.err(`Not reloaded: the rules in ${path} do not validate (nothing was sent):`);
      for (const issue of loaded.issues) io.err(`  ${issue.path}: ${issue.message}`);
      throw new CliExit(1);
    }
  }
  const config = await loadConfig(context);
  const file = pidFile(config);
  const yourself = "send kill -HUP <pid> to the serve process, or systemctl reload securix";
  if (file === null) {
    io.err(
      "No pid file: the database is a server, so serve writes none. To reload, " + yourself + ".",
    );
    throw new CliExit(1);
  }
  const pid = await readPid(file);
  if (pid === null) {
    io.err(
      `No running securix serve found for this data directory (no ${file}). ` +
        `If it runs elsewhere, ${yourself}.`,
    );
    throw new CliExit(1);
  }
  const other = notServe(pid, await processCommand(pid));
  if (other !== null) {
    io.err(
      `${file} names pid ${pid}, which is ${other}, not securix serve: the pid file is ` +
        `stale (serve did not stop cleanly). Nothing was sent; ${yourself}.`,
    );
    throw new CliExit(1);
  }
  try {
    signalProcess(pid, "SIGHUP");
  } catch (error) {
    io.err(
      `No running securix serve found for this data directory: pid ${pid} from ${file} ` +
        `cannot be signalled (${(error as Error).message}). If it runs elsewhere, ${yourself}.`,
    );
    throw new CliExit(1);
  }
  io.out(`Sent SIGHUP to securix serve (pid ${pid}); it logs the reload result`);
}
