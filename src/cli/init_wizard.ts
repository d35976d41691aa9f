import * as p from "@clack/prompts";
import { SecurixError } from "../errors/securix_error.ts";
import type { InitResult } from "./init_command.ts";
import {
  buildAnswers,
  DEFAULT_DATABASE,
  DEFAULT_LISTEN,
  DEFAULT_MASTER_KEY_ENV,
  DEFAULT_MASTER_KEY_FILE,
  defaultPublicUrl,
  deriveBaseDomain,
  type InitAnswers,
  type InitDefaults,
  splitOrigins,
  validate,
} from "./init_answers.ts";
import { fileBlock, type InitPlan, nextSteps, planInit } from "./init_plan.ts";

/**
 * The interactive `securix init`: asks on the terminal (flags pre-fill the
 * defaults), shows the file, runs `run` under a spinner and prints the next
 * steps. Ctrl-C or "no" at the end throws SX-INIT-CANCELLED before anything
 * is written.
 */
export async function runWizard(options: {
  defaults: InitDefaults;
  configArg: string | null;
  run: (answers: InitAnswers, plan: InitPlan) => Promise<InitResult>;
  describe: (result: InitResult, configArg: string | null) => string[];
}): Promise<void> {
  p.intro("Securix setup");
  const answers = buildAnswers(await ask(options.defaults));
  const plan = planInit(answers);
  p.note(plan.toml.trimEnd(), "securix.toml");
  if (!answer(await p.confirm({ message: "Write securix.toml and create the database?" }))) {
    cancelled();
  }
  const spin = p.spinner();
  spin.start("Creating the database and the first app");
  let result: InitResult;
  try {
    result = await options.run(answers, plan);
  } catch (error) {
    spin.error("Setup failed");
    throw error;
  }
  spin.stop("Database ready");
  p.note(
    options.describe(result, options.configArg).join("\n"),
    "Written (secrets are shown only this once)",
  );
  const sections = nextSteps(answers, plan, { configArg: options.configArg });
  for (const section of sections.filter((s) => !s.file)) p.note(section.body, section.title);
  const files = sections.filter((s) => s.file);
  if (files.length > 0) {
    p.log.info("Reverse-proxy configs follow, without borders, to copy as they are.");
  }
  p.outro(
    `Done. Start it with: securix${
      options.configArg ? ` --config ${options.configArg}` : ""
    } serve`,
  );
  for (const file of files) console.log(fileBlock(file).join("\n"));
}

function cancelled(): never {
  throw new SecurixError("SX-INIT-CANCELLED", "Setup cancelled; nothing was written");
}

function answer<T>(value: T | symbol): Exclude<T, symbol> {
  if (p.isCancel(value)) cancelled();
  return value as Exclude<T, symbol>;
}

/** A text prompt whose empty answer takes `fallback`, validated either way. */
async function askText(
  message: string,
  fallback: string,
  check: (value: string) => string | undefined,
): Promise<string> {
  const value = answer(
    await p.text({
      message,
      placeholder: fallback || undefined,
      defaultValue: fallback || undefined,
      validate: (v) => check(v?.trim() || fallback),
    }),
  );
  return value.trim() || fallback;
}

const optional = (check: (v: string) => string | undefined) => (v: string) =>
  v === "" ? undefined : check(v);

async function ask(d: InitDefaults): Promise<InitDefaults> {
  const listenDefault = d.listen || DEFAULT_LISTEN;
  const publicUrl = await askText(
    "Public URL (where users and OAuth providers reach the appliance)",
    d.publicUrl || defaultPublicUrl(listenDefault),
    validate.publicUrl,
  );
  const baseDomain = await askText(
    "Base domain (provider proxy hosts are <provider>.api.<base domain>)",
    d.baseDomain || deriveBaseDomain(publicUrl),
    validate.baseDomain,
  );
  const listen = await askText(
    "Listen address (loopback when a reverse proxy is in front)",
    listenDefault,
    validate.listen,
  );
  const databaseKind = answer(
    await p.select({
      message: "Database",
      initialValue: d.database && !d.database.startsWith("file:") ? "server" : "file",
      options: [
        { value: "file", label: "Embedded file", hint: "encrypted libSQL file, one node" },
        { value: "server", label: "libSQL server", hint: "sqld or Turso, shared by nodes" },
      ],
    }),
  );
  let database: string;
  let databaseAuthTokenEnv = "";
  if (databaseKind === "file") {
    const path = await askText(
      "Database file (relative to the config directory)",
      (d.database.startsWith("file:") ? d.database : DEFAULT_DATABASE).slice("file:".length),
      validate.path,
    );
    database = `file:${path}`;
  } else {
    database = await askText(
      "libSQL server URL",
      d.database.startsWith("file:") ? "" : d.database,
      (v) => v.startsWith("file:") ? "expected a server URL" : validate.database(v),
    );
    databaseAuthTokenEnv = await askText(
      "Environment variable holding the server's auth token (empty for none)",
      d.databaseAuthTokenEnv,
      optional(validate.envName),
    );
  }
  const masterKey = answer(
    await p.select({
      message: "Where does the master key live?",
      initialValue: d.masterKey,
      options: [
        { value: "file" as const, label: "Key file", hint: "generated now, mode 0600" },
        { value: "env" as const, label: "Environment variable", hint: "from your secret store" },
      ],
    }),
  );
  const masterKeyFile = masterKey === "file"
    ? await askText(
      "Master key file (relative to the config directory)",
      d.masterKeyFile || DEFAULT_MASTER_KEY_FILE,
      validate.path,
    )
    : "";
  const masterKeyEnv = masterKey === "env"
    ? await askText(
      "Environment variable for the master key",
      d.masterKeyEnv || DEFAULT_MASTER_KEY_ENV,
      validate.envName,
    )
    : "";
  let app = "";
  let origins: string[] = [];
  if (answer(await p.confirm({ message: "Create a first app now?", initialValue: true }))) {
    app = await askText("App name", d.app, validate.appName);
    const typed = await askText(
      "Web origins allowed to open the consent popup (comma-separated, empty for none)",
      d.origins.join(", "),
      (v) => splitOrigins(v).map(validate.origin).find(Boolean),
    );
    origins = splitOrigins(typed);
  }
  const service = answer(
    await p.confirm({
      message: "Write a systemd unit (securix.service) beside securix.toml?",
      initialValue: d.service ?? Deno.build.os === "linux",
    }),
  );
  return {
    publicUrl,
    baseDomain,
    listen,
    database,
    databaseAuthTokenEnv,
    masterKey,
    masterKeyFile,
    masterKeyEnv,
    app,
    origins,
    service,
  };
}
