import { type Command, Option } from "commander";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { parse as parseToml } from "smol-toml";
import { findApp, listApps } from "../apps/app_store.ts";
import { createAppWithKey } from "../apps/create_app_with_key.ts";
import { AGENT_KEY_REACH } from "../apps/key_role.ts";
import { cliActor } from "../audit/actor.ts";
import { type Config, resolveConfig } from "../config/load.ts";
import {
  exists,
  refuseNewKeyBesideDatabase,
  writeNewMasterKey,
} from "../config/master_key_file.ts";
import { resolvePath } from "../config/secret_ref.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { openAppliance } from "../http/appliance.ts";
import type { CliContext } from "./context.ts";
import { dnsRecords } from "./dns_records.ts";
import {
  buildAnswers,
  type InitAnswers,
  type InitDefaults,
  InitInputError,
} from "./init_answers.ts";
import { fileBlock, type InitPlan, nextSteps, planInit, type Section } from "./init_plan.ts";
import { type CliIo, printJson } from "./io.ts";
import { runWizard } from "./init_wizard.ts";
import { defaultBinaryPath } from "./service_command.ts";
import { DEFAULT_SERVICE_USER, dirname, renderUnit, unitInputsFromConfig } from "./systemd_unit.ts";

interface InitFlags {
  yes?: boolean;
  dir?: string;
  publicUrl?: string;
  baseDomain?: string;
  listen?: string;
  database?: string;
  databaseAuthTokenEnv?: string;
  masterKey?: "file" | "env";
  masterKeyFile?: string;
  masterKeyEnv?: string;
  app?: string;
  origin: string[];
  force?: boolean;
  json?: boolean;
  service?: boolean;
}

/** What `init` did; printed as the summary, or as JSON with --json. */
export interface InitResult {
  configPath: string;
  masterKey:
    | { kind: "file"; path: string; created: boolean }
    | { kind: "env"; name: string; generated: string | null };
  database: { url: string; file: string | null; migrationsApplied: string[] };
  app: { id: string; name: string; origins: string[] } | null;
  /** Apps the database already held (a re-run on an existing one), when none was created. */
  existingApps: string[];
  apiKey: { id: string; key: string } | null;
  /** The systemd unit written beside securix.toml (--service), or null. */
  service: { path: string } | null;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerInit(program: Command, context: CliContext): void {
  const command = program.command("init")
    .description("first-run setup: write securix.toml and the master key, create the first app")
    .option("-y, --yes", "no prompts: take every answer from the flags and their defaults")
    .option("--dir <path>", "directory to write securix.toml into (default: --config, else .)")
    .option("--public-url <url>", "URL users and providers reach the appliance at")
    .option("--base-domain <domain>", "proxy hosts are <provider>.api.<domain>")
    .option("--listen <host:port>", "address the appliance listens on (default: 127.0.0.1:8080)")
    .option("--database <url>", "file:<path> (embedded, encrypted) or a libsql:// server URL")
    .option("--database-auth-token-env <name>", "variable holding the libSQL server token")
    .addOption(
      new Option("--master-key <where>", "where the master key lives").choices(["file", "env"]),
    )
    .option("--master-key-file <path>", "key file, relative to the config directory")
    .option("--master-key-env <name>", "variable holding the key (default: SECURIX_MASTER_KEY)")
    .option("--app <name>", "create a first app with this name")
    .option("--origin <url>", "web origin of the first app (repeatable)", collect, [])
    .option("--force", "overwrite an existing securix.toml")
    .option("--service", "also write a systemd unit, securix.service, beside securix.toml")
    .option("--no-service", "write no systemd unit (the default with --yes)")
    .option("--json", "print a machine-readable summary (with --yes)")
    .showHelpAfterError('(see "securix init --help")');
  command.action(async (flags: InitFlags) => {
    const fail = (message: string) => command.error(`error: ${message}`, { exitCode: 2 });
    if (flags.masterKey === "file" && flags.masterKeyEnv) {
      fail("--master-key-env needs --master-key env");
    }
    if (flags.json && !flags.yes) fail("--json needs --yes");
    const { configPath, configArg } = target(context, flags.dir ?? null);
    await refuseExisting(configPath, flags.force === true);
    const defaults = defaultsFromFlags(flags);
    const run = (answers: InitAnswers, plan: InitPlan) =>
      executeInit({ configPath, answers, plan, force: flags.force === true, env: context.io.env });
    if (!flags.yes) {
      if (!Deno.stdin.isTerminal()) {
        fail("init asks questions on a terminal; pass --yes with flags to run without prompts");
      }
      await runWizard({ defaults, configArg, run, describe: resultLines });
      return;
    }
    let answers: InitAnswers;
    try {
      answers = buildAnswers(defaults);
    } catch (error) {
      if (error instanceof InitInputError) fail(error.message);
      throw error;
    }
    const plan = planInit(answers);
    const result = await run(answers, plan);
    if (flags.json) {
      printJson(context.io, jsonSummary(answers, plan, result));
      return;
    }
    printSummary(context.io, result, nextSteps(answers, plan, { configArg }), configArg);
  });
}

/**
 * Where to write: `--dir`/securix.toml, else the global `--config` path, else
 * ./securix.toml. `configArg` is what later commands need to find it again.
 */
function target(
  context: CliContext,
  dir: string | null,
): { configPath: string; configArg: string | null } {
  const cwd = context.io.cwd();
  if (dir !== null) {
    const base = resolvePath(cwd, dir).replace(/\/(\.\/?)?$/, "");
    return {
      configPath: `${base}/securix.toml`,
      configArg: `${dir.replace(/\/$/, "")}/securix.toml`,
    };
  }
  const explicit = context.configPath();
  if (explicit) return { configPath: resolvePath(cwd, explicit), configArg: explicit };
  return { configPath: resolvePath(cwd, "securix.toml"), configArg: null };
}

function defaultsFromFlags(flags: InitFlags): InitDefaults {
  return {
    publicUrl: flags.publicUrl ?? "",
    baseDomain: flags.baseDomain ?? "",
    listen: flags.listen ?? "",
    database: flags.database ?? "",
    databaseAuthTokenEnv: flags.databaseAuthTokenEnv ?? "",
    masterKey: flags.masterKey ?? (flags.masterKeyEnv ? "env" : "file"),
    masterKeyFile: flags.masterKeyFile ?? "",
    masterKeyEnv: flags.masterKeyEnv ?? "",
    app: flags.app ?? "",
    origins: flags.origin,
    service: flags.service,
  };
}

async function refuseExisting(configPath: string, force: boolean): Promise<void> {
  if (!force && await exists(configPath)) {
    throw new SecurixError(
      "SX-CONFIG-EXISTS",
      `${configPath} already exists; pass --force to overwrite it (the key and database are kept)`,
    );
  }
}

const MASTER_KEY_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Writes the key file (unless one exists), creates and migrates the database
 * and the first app, and writes securix.toml last: a failure before that
 * leaves no config behind, and a rerun reuses the key and the database.
 */
export async function executeInit(options: {
  configPath: string;
  answers: InitAnswers;
  plan: InitPlan;
  force: boolean;
  env: (name: string) => string | undefined;
}): Promise<InitResult> {
  const { configPath, answers, plan } = options;
  const dir = configPath.slice(0, configPath.lastIndexOf("/")) || "/";
  await refuseExisting(configPath, options.force);
  await Deno.mkdir(dir, { recursive: true });
  for (const sub of plan.dataDirs) {
    await Deno.mkdir(resolvePath(dir, sub), { recursive: true, mode: 0o700 });
  }
  const databaseFile = plan.databaseFile ? resolvePath(dir, plan.databaseFile) : null;
  const { masterKey, env } = await prepareMasterKey(dir, answers, options.env, databaseFile);
  const config = await resolveConfig(parseToml(plan.toml) as Record<string, unknown>, {
    source: configPath,
    baseDir: dir,
    env,
  });
  let migrationsApplied: string[] = [];
  const appliance = await openAppliance(config, {
    create: true,
    onMigrated: (names) => migrationsApplied = names,
  });
  let app: InitResult["app"] = null;
  let apiKey: InitResult["apiKey"] = null;
  let existingApps: string[] = [];
  try {
    if (answers.app) {
      if (await findApp(appliance.database.db, answers.app.name)) {
        throw new SecurixError(
          "SX-APP-EXISTS",
          `An app named "${answers.app.name}" already exists in this database; leave out --app ` +
            '(and answer "no" to the first app), or add a key with "securix keys create NAME"',
        );
      }
      const created = await createAppWithKey(appliance.database, answers.app, {
        now: appliance.now,
        by: cliActor(options.env),
      });
      app = { id: created.app.id, name: created.app.name, origins: created.app.origins };
      apiKey = { id: created.record.id, key: created.secret };
    } else {
      existingApps = (await listApps(appliance.database.db)).map((a) => a.name);
    }
  } finally {
    appliance.close();
  }
  const service = answers.service ? await writeServiceUnit(config, options.force) : null;
  await Deno.writeTextFile(configPath, plan.toml, { createNew: !options.force });
  return {
    configPath,
    masterKey,
    database: { url: config.database.url, file: config.database.filePath, migrationsApplied },
    app,
    existingApps,
    apiKey,
    service,
  };
}

/**
 * The unit goes beside securix.toml, not into /etc/systemd/system: init
 * writes only inside its directory; `securix service install` puts it in place.
 */
async function writeServiceUnit(config: Config, force: boolean): Promise<{ path: string }> {
  const path = `${dirname(config.source!)}/securix.service`;
  const unit = renderUnit(
    unitInputsFromConfig(config, {
      binaryPath: defaultBinaryPath(Deno.execPath()),
      user: DEFAULT_SERVICE_USER,
    }),
  );
  await Deno.writeTextFile(path, unit, { createNew: !force, mode: 0o644 });
  return { path };
}

async function prepareMasterKey(
  dir: string,
  answers: InitAnswers,
  env: (name: string) => string | undefined,
  databaseFile: string | null,
): Promise<{ masterKey: InitResult["masterKey"]; env: (name: string) => string | undefined }> {
  const where = answers.masterKey;
  if (where.kind === "env") {
    const current = env(where.name);
    if (current !== undefined && current !== "" && !MASTER_KEY_HEX.test(current)) {
      throw new SecurixError(
        "SX-MASTER-KEY-INVALID",
        `${where.name} is set but does not hold 64 hex characters; unset it to generate a new key`,
      );
    }
    if (!current) await refuseNewKeyBesideDatabase(`$${where.name}`, databaseFile);
    const generated = current
      ? null
      : encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
    return {
      masterKey: { kind: "env", name: where.name, generated },
      env: (name) => (name === where.name && generated ? generated : env(name)),
    };
  }
  const path = resolvePath(dir, where.path);
  if (!await exists(path)) {
    await refuseNewKeyBesideDatabase(path, databaseFile);
    await writeNewMasterKey(path);
    return { masterKey: { kind: "file", path, created: true }, env };
  }
  const text = (await Deno.readTextFile(path)).replace(/\r?\n$/, "");
  if (!MASTER_KEY_HEX.test(text)) {
    throw new SecurixError(
      "SX-MASTER-KEY-INVALID",
      `${path} exists but does not hold 64 hex characters; move it away or pick another file`,
    );
  }
  return { masterKey: { kind: "file", path, created: false }, env };
}

/** Lines that tell the operator what was written and the secrets shown this once. */
export function resultLines(result: InitResult, configArg: string | null): string[] {
  const lines = [`Wrote ${result.configPath}`];
  const key = result.masterKey;
  if (key.kind === "file") {
    lines.push(
      `${key.created ? "Generated" : "Kept existing"} master key ${key.path} (mode 0600). ` +
        "Back it up: the vault cannot be opened without it.",
    );
  } else if (key.generated) {
    lines.push(
      `Generated master key (shown once, it is not written anywhere):`,
      `  ${key.name}=${key.generated}`,
      `Put it in your secret store and set ${key.name} in the appliance's environment.`,
    );
  } else {
    lines.push(`Using the master key already in ${key.name}.`);
  }
  lines.push(
    result.database.file
      ? `Database ${result.database.file} is ready (encrypted with a key derived from the master key).`
      : `Database ${result.database.url} is ready.`,
  );
  if (result.app && result.apiKey) {
    lines.push(
      `Created app ${result.app.name} (${result.app.id}); origins: ${
        result.app.origins.join(", ") ||
        `none (the popup flow needs one: securix${
          configArg ? ` --config ${configArg}` : ""
        } apps update ${result.app.name} --origin https://…)`
      }`,
      `API key ${result.apiKey.id} (shown once, send it as the securix-api-key header):`,
      `  ${result.apiKey.key}`,
      `It is a backend key: keep it on your server. Give each agent its own agent key ` +
        `(${AGENT_KEY_REACH}): "securix${
          configArg ? ` --config ${configArg}` : ""
        } keys create ${result.app.name} --role agent".`,
    );
  } else if (result.existingApps.length > 0) {
    const config = configArg ? ` --config ${configArg}` : "";
    const names = result.existingApps;
    lines.push(
      `The database already has ${names.length === 1 ? "an app" : `${names.length} apps`}: ${
        names.slice(0, 5).join(", ")
      }${names.length > 5 ? ", …" : ""}; add a key with "securix${config} keys create ${
        names[0]
      }", or see "securix${config} apps list".`,
    );
  } else {
    const config = configArg ? ` --config ${configArg}` : "";
    lines.push(`No app yet; create one with "securix${config} apps create NAME --origin URL".`);
  }
  if (result.service) {
    lines.push(
      `Wrote ${result.service.path} (systemd unit). Install it with ` +
        `"securix --config ${result.configPath} service install", which prints the next commands.`,
    );
  }
  return lines;
}

function printSummary(
  io: CliIo,
  result: InitResult,
  sections: Section[],
  configArg: string | null,
): void {
  for (const line of resultLines(result, configArg)) io.out(line);
  io.out("\nNext steps");
  for (const section of sections) {
    io.out(
      section.file
        ? `\n${fileBlock(section).join("\n")}`
        : `\n== ${section.title} ==\n${section.body}`,
    );
  }
}

function jsonSummary(answers: InitAnswers, plan: InitPlan, result: InitResult) {
  return {
    ...result,
    publicUrl: answers.publicUrl,
    baseDomain: answers.baseDomain,
    trustProxy: plan.trustProxy.value,
    oauthCallbackUrl: `${answers.publicUrl}/oauth/callback`,
    dnsRecords: dnsRecords(answers).records,
  };
}
