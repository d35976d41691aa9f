import { accountName } from "./account_name.ts";
import type { Command } from "commander";
import { decodeHex, encodeHexLowerCase } from "@oslojs/encoding";
import {
  applyEnvOverrides,
  type Config,
  findConfigPath,
  loadWarnings,
  masterKeyRef,
  OVERRIDE_KEYS,
  readConfigFile,
} from "../config/load.ts";
import { type LoadedFile, resolveWithoutKey } from "./config_without_key.ts";
import { exists } from "../config/master_key_file.ts";
import { resolvePath } from "../config/secret_ref.ts";
import { openDatabase } from "../db/client.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { compareLedger } from "../db/ledger_check.ts";
import { readLedgerRows } from "../db/migrate.ts";
import { indexStatement, runningSchemaDrift } from "../db/schema_check.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import type { CliContext } from "./context.ts";
import {
  type CheckResult,
  configCheck,
  databaseCheck,
  formatChecks,
  type KeyFacts,
  masterKeyCheck,
  migrationsCheck,
  oauthCallbackCheck,
  openFilesCheck,
  publicUrlCheck,
  rulesCheck,
  schemaCheck,
  skipped,
  wildcardDnsCheck,
} from "./doctor_checks.ts";
import { providerEndpointChecks } from "./doctor_provider_checks.ts";
import { lintConfigRules } from "./config_rules_lint.ts";
import { printJson } from "./io.ts";
import {
  defaultConnectionTotal,
  isolatesForOpenFiles,
  openFileTotal,
} from "../http/conn_limits.ts";
import { runnableIsolates } from "../http/serving_pool.ts";
import { readNofileLimit } from "../http/nofile_limit.ts";
import { readUnitText, type RulesFilesOnDisk, systemdUnitCheck } from "./doctor_systemd_check.ts";
import { rulesFileInForce, rulesFilePath } from "../rules/rules_file.ts";
import { DEFAULT_UNIT_PATH, dirname } from "./systemd_unit.ts";

export function registerDoctor(program: Command, context: CliContext): void {
  program.command("doctor")
    .description(
      "check config, master key, database, migrations, schema, DNS, public URL, provider endpoints " +
        "and the systemd unit",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const { results, config } = await runDoctor(context);
      // As serve counts them (without --unstable-net it falls back to one, and says so).
      const runnable = config
        ? runnableIsolates(
          config.server.workers,
          navigator.hardwareConcurrency,
          config.server.listenAddress.hostname,
        )
        : 1;
      // A small limit runs fewer isolates, as serve runs them (it raises soft to hard).
      const nofile = readNofileLimit();
      const isolates = isolatesForOpenFiles(runnable, nofile?.hard ?? null);
      results.push(
        openFilesCheck(
          nofile,
          config?.server.max_connections,
          (nofile) => ({
            total: defaultConnectionTotal(nofile, isolates),
            carried: nofile === null ? null : openFileTotal(nofile, isolates),
          }),
          isolates,
          runnable,
        ),
      );
      const unit = systemdUnitCheck(
        DEFAULT_UNIT_PATH,
        await readUnitText(DEFAULT_UNIT_PATH),
        config && {
          configPath: config.source,
          dataDir: config.database.filePath ? dirname(config.database.filePath) : null,
          rulesFiles: config.source ? await rulesFilesOnDisk(config.source) : undefined,
        },
      );
      if (unit) results.push(unit);
      const failed = results.filter((r) => r.status === "fail").length;
      if (options.json) {
        printJson(context.io, {
          ok: failed === 0,
          checks: results.map((r) => ({ ...r, ok: r.status !== "fail" })),
        });
      } else {
        for (const line of formatChecks(results)) context.io.out(line);
      }
      if (failed > 0) {
        throw new SecurixError("SX-DOCTOR-FAILED", `${failed} of ${results.length} checks failed`);
      }
    });
}

const AFTER_CONFIG = [
  "master key",
  "database",
  "migrations",
  "schema",
  "wildcard DNS",
  "public URL",
  "OAuth callback",
];

type Loaded = LoadedFile;

async function runDoctor(
  context: CliContext,
): Promise<{ results: CheckResult[]; config: Config | null }> {
  const env = context.io.env;
  const cwd = context.io.cwd();
  const loaded: Loaded = { source: null, baseDir: cwd, raw: {} };
  let config: Config | null = null;
  let configError: unknown = null;
  let fileRead = false;
  try {
    loaded.source = await findConfigPath({ path: context.configPath(), env, cwd });
    if (loaded.source) {
      loaded.raw = await readConfigFile(loaded.source);
      loaded.baseDir = loaded.source.slice(0, loaded.source.lastIndexOf("/")) || "/";
    }
    fileRead = true;
    // As serve loads it: unknown SECURIX_* variables warned about, a bad override blamed on it.
    for (const warning of loadWarnings(loaded.raw, context.io.envNames?.() ?? [])) {
      context.io.err(warning);
    }
    const overrides = new Map<string, string>();
    loaded.raw = applyEnvOverrides(loaded.raw, env, OVERRIDE_KEYS, overrides);
    config = await resolveWithoutKey(loaded, env, overrides);
  } catch (error) {
    configError = error;
  }
  const results = [configCheck(loaded.source, configError)];
  if (!fileRead) {
    results.push(...AFTER_CONFIG.map((name) => skipped(name, "the config does not load")));
    return { results, config };
  }
  const keyFacts = await readKey(loaded, env, config);
  const key = masterKeyCheck(keyFacts);
  results.push(key);
  if (!config) {
    results.push(...AFTER_CONFIG.slice(1).map((name) => skipped(name, "the config does not load")));
    return { results, config };
  }
  if (key.status !== "fail" && keyFacts.value !== null) {
    results.push(...await databaseChecks(config, keyFacts.value));
  } else {
    const why = keyFacts.value === null && key.status === "warn"
      ? "no master key yet"
      : "no usable master key";
    results.push(skipped("database", why), skipped("migrations", why), skipped("schema", why));
  }
  results.push(
    await wildcardDnsCheck(
      config.server.base_domain,
      (name, type, signal) => Deno.resolveDns(name, type, { signal }),
    ),
    publicUrlCheck({
      publicUrl: config.server.publicUrl,
      listen: config.server.listen,
      trustProxy: config.server.trustedProxies.length > 0,
    }),
    oauthCallbackCheck(config.server.publicUrl),
    ...await providerEndpointChecks(config.providers),
    ...doctorRulesCheck(config),
  );
  return { results, config };
}

/**
 * The same lint as `securix rules lint`; like the provider lines, only when
 * there is something to check (no rules and no scopes: no line).
 */
function doctorRulesCheck(config: Config): CheckResult[] {
  const { set, findings } = lintConfigRules(config);
  if (set.rules.length === 0 && set.scopes.length === 0) return [];
  return [rulesCheck(findings, { rules: set.rules.length, scopes: set.scopes.length })];
}

async function readKey(
  loaded: Loaded,
  env: (name: string) => string | undefined,
  config: Config | null,
): Promise<KeyFacts> {
  const databaseFile = config ? config.database.filePath : null;
  const ref = masterKeyRef(loaded.raw);
  const facts: KeyFacts = {
    ref,
    path: null,
    value: null,
    readError: null,
    mode: null,
    // As serve decides: it creates a missing key file only while the database does not exist.
    fresh: databaseFile === null ? loaded.source === null : !await exists(databaseFile),
  };
  if (ref.startsWith("env:")) {
    facts.value = env(ref.slice(4)) || null;
    if (facts.value === null) facts.readError = `environment variable ${ref.slice(4)} is not set`;
  } else if (ref.startsWith("file:")) {
    facts.path = resolvePath(loaded.baseDir, ref.slice(5));
    try {
      facts.mode = (await Deno.stat(facts.path)).mode;
      facts.value = (await Deno.readTextFile(facts.path)).replace(/\r?\n$/, "");
    } catch (error) {
      facts.readError = error instanceof Deno.errors.NotFound
        ? `${facts.path} does not exist`
        : `${facts.path} cannot be read (${(error as Error).name})`;
    }
  }
  return facts;
}

async function databaseChecks(config: Config, keyHex: string): Promise<CheckResult[]> {
  const { url, filePath, authToken } = config.database;
  const fileExists = filePath === null || await exists(filePath);
  const target = { url, filePath, fileExists };
  if (!fileExists) {
    return [
      databaseCheck(target, null),
      skipped("migrations", "no database yet"),
      skipped("schema", "no database yet"),
    ];
  }
  const fileKey = await deriveSubkey(decodeHex(keyHex), LABELS.databaseFile);
  let database;
  try {
    database = await openDatabase({ url, authToken, encryptionKey: encodeHexLowerCase(fileKey) });
  } catch (error) {
    return [
      databaseCheck(target, error),
      skipped("migrations", "the database does not open"),
      skipped("schema", "the database does not open"),
    ];
  }
  try {
    // Read without creating the ledger: doctor changes nothing.
    const applied = await readLedgerRows(database.client);
    const migrations = migrationsCheck(
      applied.map((m) => m.name),
      MIGRATIONS.map((m) => m.name),
      compareLedger(applied, MIGRATIONS),
    );
    // Pending, unknown or edited migrations explain any difference already.
    const schema = migrations.status === "ok"
      ? schemaCheck(await runningSchemaDrift(database.client), {
        backupDir: config.backup.dir,
        indexStatement,
      })
      : skipped("schema", "the migrations check failed");
    return [databaseCheck(target, null), migrations, schema];
  } catch (error) {
    return [
      databaseCheck(target, error),
      skipped("migrations", "the database does not answer"),
      skipped("schema", "the database does not answer"),
    ];
  } finally {
    database.close();
  }
}

/** Where the rules file is, for the systemd check (a unit may write rules.d only). */
export async function rulesFilesOnDisk(configPath: string): Promise<RulesFilesOnDisk> {
  const path = rulesFilePath(configPath);
  const dirExists = await Deno.stat(dirname(path)).then((s) => s.isDirectory, () => false);
  const inForce = await rulesFileInForce(configPath).catch(() => null);
  const configDir = await Deno.stat(dirname(configPath)).catch(() => null);
  return {
    dirExists,
    configDir: configDir?.mode == null ? null : {
      owner: configDir.uid === null ? null : await accountName(configDir.uid),
      groupRoot: configDir.gid === 0,
      mode: configDir.mode & 0o7777,
    },
    legacy: inForce?.legacy ? "in force" : inForce?.shadowed ? "shadowed" : "none",
  };
}
