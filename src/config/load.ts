import { trustedProxyEntries } from "./trusted_proxies.ts";
import { parse as parseToml, TomlError } from "smol-toml";
import {
  exists,
  newKeyBesideServerVault,
  refuseNewKeyBesideDatabase,
  writeNewMasterKey,
} from "./master_key_file.ts";
import { type DatabaseFacts, newMasterKeyDecision } from "./new_master_key.ts";
import type { z } from "zod";
import { configSchema, type ParsedConfig } from "./schema.ts";
import { show } from "./show_value.ts";
import { resolvePath } from "./secret_ref.ts";
import { ConfigError } from "./config_error.ts";
import { ignoredRulesFiles, ignoredRulesWarning, withRulesFile } from "../rules/rules_file.ts";
import { embeddedFilePath } from "../db/database_file.ts";
import { OWN_ENV_NAMES, referencedEnvNames, unknownEnvWarnings } from "./unknown_env.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { withPlaceholderKey } from "./placeholder_key.ts";

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** The resolved, frozen configuration the rest of the appliance reads. */
export interface Config {
  /** Path of the config file, or null when running on embedded defaults. */
  readonly source: string | null;
  /** Directory relative paths are resolved against. */
  readonly baseDir: string;
  readonly server: ParsedConfig["server"] & {
    readonly listenAddress: ListenAddress;
    readonly metricsAddress: ListenAddress;
    /** The admin console's listener; null when `admin_listen = "off"`. */
    readonly adminAddress: ListenAddress | null;
    readonly publicUrl: string;
    /** `trust_proxy` as addresses/CIDRs: loopback for `true`, none for `false`. */
    readonly trustedProxies: readonly string[];
  };
  readonly database: {
    readonly url: string;
    readonly authToken: string | null;
    /** Absolute path of the embedded database file, null for a server URL. */
    readonly filePath: string | null;
  };
  readonly vault: { readonly masterKey: Uint8Array };
  readonly providers: ParsedConfig["providers"];
  readonly webhooks: ParsedConfig["webhooks"];
  readonly proxy: ParsedConfig["proxy"];
  readonly audit: ParsedConfig["audit"];
  readonly auth_lockout: ParsedConfig["auth_lockout"];
  /** `[security]`: rate-limit sharing, anomaly detectors, approvals. */
  readonly security: ParsedConfig["security"];
  readonly backup: {
    readonly schedule: ParsedConfig["backup"]["schedule"];
    readonly keep: number;
    /** Absolute backup directory; null for a libSQL server with no `dir` set. */
    readonly dir: string | null;
  };
  /** `[[rules]]`, validated; compiled by the rules engine. */
  readonly rules: ParsedConfig["rules"];
  /** `[scopes.<name>]`. */
  readonly scopes: ParsedConfig["scopes"];
}

export interface LoadOptions {
  /** `--config` from the command line. */
  path?: string | null;
  env?: (name: string) => string | undefined;
  /** Names of the variables set, to warn about unknown SECURIX_* ones; default: the process's when `env` is not given. */
  envNames?: () => string[];
  cwd?: string;
  /**
   * Create what a first start needs (`serve`): on embedded defaults the data
   * directory, and a master key file the config names that does not exist yet
   * while its database holds no vault (new_master_key.ts). Without it nothing is created:
   * no config and no key here is SX-NO-APPLIANCE, saying what to run.
   */
  create?: boolean;
  /**
   * Whether the libSQL server the config names holds a vault (serve's
   * serverHoldsVault; the config domain opens no databases). Asked only with
   * `create`, for a missing key file the config names: without it, such a key
   * is not created for a server database.
   */
  serverHoldsVault?: (database: Config["database"]) => Promise<boolean>;
}

/** Sections whose scalar keys may be overridden by SECURIX_<SECTION>_<KEY>. */
const OVERRIDABLE = [
  "server",
  "database",
  "vault",
  "webhooks",
  "proxy",
  "audit",
  "auth_lockout",
  "backup",
] as const;

export async function findConfigPath(
  options: LoadOptions,
): Promise<string | null> {
  const env = options.env ?? Deno.env.get;
  const cwd = options.cwd ?? Deno.cwd();
  const explicit = options.path ?? env("SECURIX_CONFIG");
  if (explicit) return resolvePath(cwd, explicit);
  const local = resolvePath(cwd, "securix.toml");
  try {
    await Deno.stat(local);
    return local;
  } catch {
    return null;
  }
}

export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "file does not exist"
      : "file cannot be read";
    throw new ConfigError(path, `${why}; run "securix init" to create one`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError(
        path,
        `line ${error.line}, column ${error.column}: ${firstLine(error.message)}`,
      );
    }
    throw new ConfigError(path, "not valid TOML");
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0].replace(/^Invalid TOML document: /, "");
}

/** The environment variable that overrides `<section>.<key>`. */
export function overrideName(section: string, key: string): string {
  return `SECURIX_${section}_${key}`.toUpperCase();
}

/**
 * The raw config with SECURIX_<SECTION>_<KEY> values laid over it. `from`, if
 * given, learns which variable set which key, so errors blame the variable.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: (name: string) => string | undefined,
  keys: Record<string, readonly string[]>,
  from?: Map<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const section of OVERRIDABLE) {
    for (const key of keys[section] ?? []) {
      const name = overrideName(section, key);
      const value = env(name);
      if (value === undefined) continue;
      from?.set(`${section}.${key}`, name);
      const current = (out[section] ?? {}) as Record<string, unknown>;
      out[section] = { ...current, [key]: coerce(section, key, value, name) };
    }
  }
  return out;
}

function coerce(section: string, key: string, value: string, name: string): unknown {
  // A master key given straight in its override variable is read from there, so a wrong one
  // is reported by its length (never its value), not as a literal the file may not hold.
  if (section === "vault" && key === "master_key" && !/^(env|file):/.test(value)) {
    return `env:${name}`;
  }
  if (value === "true") return true;
  if (value === "false") return false;
  if (/^[0-9]+$/.test(value) && NUMERIC_KEYS.has(`${section}.${key}`)) return Number(value);
  // A list of numbers is written comma-separated: SECURIX_WEBHOOKS_RETRY_DELAYS_MS=500,1000
  if (/^[0-9]+(\s*,\s*[0-9]+)*$/.test(value) && NUMBER_LIST_KEYS.has(`${section}.${key}`)) {
    return value.split(",").map((n) => Number(n.trim()));
  }
  return value;
}

const NUMERIC_KEYS = new Set([
  "server.max_body_bytes",
  "server.shutdown_timeout_ms",
  "server.header_timeout_ms",
  "server.idle_timeout_ms",
  "server.max_connections",
  "server.workers",
  "audit.retain_days",
  "audit.max_backlog",
  "audit.head_interval_ms",
  "webhooks.timeout_ms",
  "proxy.upstream_timeout_ms",
  "proxy.max_inspect_bytes",
  "auth_lockout.max_failures",
  "auth_lockout.window_s",
  "auth_lockout.max_addresses",
  "backup.keep",
]);

const NUMBER_LIST_KEYS = new Set(["webhooks.retry_delays_ms"]);

/**
 * One issue as `where: what`. `where` is the environment variable when one
 * set the key (see applyEnvOverrides), else the key's path in the file.
 */
export function formatIssue(
  issue: z.core.$ZodIssue,
  overrides: ReadonlyMap<string, string> = new Map(),
): string {
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => `${[...path, k].join(".")}: unknown key`).join("; ");
  }
  const where = overrides.get(path.slice(0, 2).join(".")) ??
    (path.length > 0 ? path.join(".") : "(top level)");
  if (issue.code === "invalid_type" && !issue.message.startsWith("expected")) {
    return `${where}: expected ${issue.expected}, got ${show(issue.input)}`;
  }
  return `${where}: ${issue.message}`;
}

function parseListen(value: string): ListenAddress {
  const at = value.lastIndexOf(":");
  return {
    hostname: value.slice(0, at).replace(/^\[|\]$/g, ""),
    port: Number(value.slice(at + 1)),
  };
}

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** Validates raw TOML data (already env-overridden) into a frozen Config. */
export async function resolveConfig(
  raw: Record<string, unknown>,
  context: {
    source: string | null;
    baseDir: string;
    env: (name: string) => string | undefined;
    /** `<section>.<key>` → the SECURIX_* variable that set it. */
    overrides?: ReadonlyMap<string, string>;
  },
): Promise<Config> {
  const schema = configSchema({
    env: context.env,
    readFile: (path) => Deno.readTextFile(path),
    baseDir: context.baseDir,
  });
  const result = await schema.safeParseAsync(raw, { reportInput: true });
  if (!result.success) {
    const overrides = context.overrides ?? new Map<string, string>();
    const fromEnv = new Set(overrides.values());
    const lines = result.error.issues.map((issue) => formatIssue(issue, overrides));
    const message = lines.join("; ");
    // Only variables are wrong: the file (or the defaults) is not to blame.
    if (lines.every((line) => fromEnv.has(line.slice(0, line.indexOf(":"))))) {
      throw new ConfigError("the environment", message, `Invalid environment variable ${message}`);
    }
    throw new ConfigError(context.source ?? "embedded defaults", message);
  }
  const parsed = result.data;
  const listenAddress = parseListen(parsed.server.listen);
  const publicUrl = (parsed.server.public_url ?? `http://localhost:${listenAddress.port}`).replace(
    /\/$/,
    "",
  );
  const filePath = parsed.database.url.startsWith("file:")
    ? resolvePath(context.baseDir, parsed.database.url.replace(/^file:(\/\/)?/, ""))
    : null;
  return deepFreeze({
    source: context.source,
    baseDir: context.baseDir,
    server: {
      ...parsed.server,
      listenAddress,
      metricsAddress: parseListen(parsed.server.metrics_listen),
      adminAddress: parsed.server.admin_listen === "off"
        ? null
        : parseListen(parsed.server.admin_listen),
      publicUrl,
      trustedProxies: trustedProxyEntries(parsed.server.trust_proxy),
    },
    database: {
      url: filePath ? `file:${filePath}` : parsed.database.url,
      authToken: parsed.database.auth_token ?? null,
      filePath,
    },
    vault: { masterKey: hexToBytes(parsed.vault.master_key) },
    providers: parsed.providers,
    webhooks: parsed.webhooks,
    proxy: parsed.proxy,
    audit: parsed.audit,
    auth_lockout: parsed.auth_lockout,
    security: parsed.security,
    backup: {
      schedule: parsed.backup.schedule,
      keep: parsed.backup.keep,
      dir: parsed.backup.dir
        ? resolvePath(context.baseDir, parsed.backup.dir)
        : filePath && `${filePath.slice(0, filePath.lastIndexOf("/"))}/backups`,
    },
    rules: parsed.rules,
    scopes: parsed.scopes,
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export const OVERRIDE_KEYS: Record<string, readonly string[]> = {
  server: [
    "listen",
    "public_url",
    "base_domain",
    "trust_proxy",
    "metrics_listen",
    "admin_listen",
    "max_body_bytes",
    "shutdown_timeout_ms",
    "header_timeout_ms",
    "idle_timeout_ms",
    "max_connections",
    "workers",
  ],
  database: ["url", "auth_token"],
  vault: ["master_key"],
  webhooks: ["allow_private_targets", "timeout_ms", "retry_delays_ms"],
  proxy: ["upstream_timeout_ms", "max_inspect_bytes"],
  audit: ["retain_days", "max_backlog", "head_interval_ms"],
  auth_lockout: ["max_failures", "window_s", "max_addresses"],
  backup: ["schedule", "keep", "dir"],
};

export const EMBEDDED_DATA_DIR = "securix-data";
const EMBEDDED_KEY_REF = `file:${EMBEDDED_DATA_DIR}/master.key`;

/** `vault.master_key` as written (after env overrides); the embedded default when unset. */
export function masterKeyRef(raw: Record<string, unknown>): string {
  const vault = raw.vault as Record<string, unknown> | undefined;
  const ref = vault && typeof vault === "object" ? vault.master_key : undefined;
  if (ref === undefined) return EMBEDDED_KEY_REF;
  return typeof ref === "string" ? ref : JSON.stringify(ref);
}

/**
 * Finds and loads the config: `--config`, else $SECURIX_CONFIG, else
 * ./securix.toml, else the embedded defaults. With `create` (serve) a missing
 * data directory and master key are created on first use; `notes` says what
 * was done.
 */
export async function loadConfig(
  options: LoadOptions = {},
): Promise<{ config: Config; notes: string[]; warnings: string[] }> {
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const envNames = options.envNames ??
    (options.env ? () => [] : () => Object.keys(Deno.env.toObject()));
  const cwd = options.cwd ?? Deno.cwd();
  const path = await findConfigPath({ ...options, env, cwd });
  let raw: Record<string, unknown> = {};
  let baseDir = cwd;
  if (path) {
    raw = await withRulesFile(await readConfigFile(path), path);
    baseDir = path.slice(0, path.lastIndexOf("/")) || "/";
  }
  const warnings = loadWarnings(raw, envNames());
  if (path) {
    for (const ignored of await ignoredRulesFiles(path)) {
      warnings.push(ignoredRulesWarning(ignored));
    }
  }
  const overrides = new Map<string, string>();
  raw = applyEnvOverrides(raw, env, OVERRIDE_KEYS, overrides);
  const context = { source: path, baseDir, env, overrides };
  const keyFile = await missingKeyFile(raw, baseDir);
  let config: Config | null = null;
  let checked: Config | null = null;
  if (options.create === true) {
    // Everything but the key that is not there yet is validated before anything is created:
    // a start that fails on another mistake leaves the directory as it found it, not with a
    // key file (and a data directory) from a start that never ran.
    if (keyFile === null) config = await resolveConfig(raw, context);
    else {
      const stand = withPlaceholderKey(raw, env);
      checked = await resolveConfig(stand.raw, { ...context, env: stand.env });
    }
  }
  const ask = options.serverHoldsVault;
  const asked = checked;
  const notes = await prepareMasterKey(raw, keyFile, {
    source: path,
    baseDir,
    create: options.create === true,
    // The server's URL and token as validated; asked only on a first start.
    serverHoldsVault: ask && asked ? () => ask(asked.database) : null,
  });
  config ??= await resolveConfig(raw, context);
  return { config, notes, warnings };
}

/** One warning per SECURIX_* variable that is not a setting (`raw`: the file, before overrides). */
export function loadWarnings(raw: Record<string, unknown>, envNames: string[]): string[] {
  return unknownEnvWarnings(envNames, [
    ...OWN_ENV_NAMES,
    ...Object.entries(OVERRIDE_KEYS).flatMap(([s, keys]) => keys.map((k) => overrideName(s, k))),
    ...referencedEnvNames(raw),
  ]);
}

/** `database.url` as `raw` (env overrides applied) has it; the embedded default when unset. */
function databaseUrl(raw: Record<string, unknown>): string {
  const database = raw.database as Record<string, unknown> | undefined;
  return typeof database?.url === "string" ? database.url : `file:${EMBEDDED_DATA_DIR}/securix.db`;
}

/** The embedded database file `raw` (env overrides applied) names, or null for a server. */
function databaseFile(raw: Record<string, unknown>, baseDir: string): string | null {
  const file = embeddedFilePath(databaseUrl(raw));
  return file ? resolvePath(baseDir, file) : null;
}

/** The master key file `raw` names when it does not exist (yet); null for any other key. */
async function missingKeyFile(
  raw: Record<string, unknown>,
  baseDir: string,
): Promise<string | null> {
  const ref = masterKeyRef(raw);
  if (!ref.startsWith("file:")) return null;
  const keyPath = resolvePath(baseDir, ref.slice(5));
  return await exists(keyPath) ? null : keyPath;
}

/**
 * The master key file before the config is resolved. A key file that does not
 * exist is created only with `create`, and only where there is no vault yet
 * (new_master_key.ts): a lost key is not replaced. Without `create`, no config
 * file and no key means there is no appliance here: nothing is created, and
 * the error says what to run.
 */
async function prepareMasterKey(
  raw: Record<string, unknown>,
  /** What missingKeyFile found. */
  keyPath: string | null,
  context: {
    source: string | null;
    baseDir: string;
    create: boolean;
    /** Asks the libSQL server the config names; null when it may not be asked. */
    serverHoldsVault: (() => Promise<boolean>) | null;
  },
): Promise<string[]> {
  const notes: string[] = [];
  const embedded = context.source === null;
  const database = databaseFile(raw, context.baseDir);
  let decision: ReturnType<typeof newMasterKeyDecision> = "leave";
  if (keyPath !== null) {
    const facts: DatabaseFacts = database !== null
      ? { kind: "file", exists: await exists(database) }
      : {
        kind: "server",
        holdsVault: context.create && context.serverHoldsVault
          ? await context.serverHoldsVault()
          : null,
      };
    decision = newMasterKeyDecision({
      create: context.create,
      configFile: !embedded,
      database: facts,
    });
  }
  // Decided before anything is created: a refused start leaves no data directory behind.
  if (decision === "refuse") {
    if (database === null) throw newKeyBesideServerVault(keyPath!, databaseUrl(raw));
    await refuseNewKeyBesideDatabase(keyPath!, database);
  }
  if (decision === "no-appliance") throw noApplianceHere(context.baseDir, keyPath!);
  if (embedded && context.create) {
    const dir = resolvePath(context.baseDir, EMBEDDED_DATA_DIR);
    if (!await exists(dir)) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      notes.push(`Created data directory ${dir}`);
    }
  }
  if (decision !== "create") return notes; // "leave": resolveConfig names the missing file
  const dir = keyPath!.slice(0, keyPath!.lastIndexOf("/")) || "/";
  if (!await exists(dir)) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    notes.push(`Created data directory ${dir}`);
  }
  await writeNewMasterKey(keyPath!);
  notes.push(
    `Generated master key ${keyPath} (mode 0600); back it up, the vault cannot be opened without it`,
  );
  return notes;
}

function noApplianceHere(cwd: string, keyPath: string): SecurixError {
  return new SecurixError(
    "SX-NO-APPLIANCE",
    `No Securix appliance here: no securix.toml in ${cwd} (nor --config or SECURIX_CONFIG), and ` +
      `no master key at ${keyPath}. Nothing was created. Run this command where the appliance's ` +
      'securix.toml is (or pass --config PATH); to set up a new one, run "securix init", or ' +
      '"securix serve" to start one here on the embedded defaults.',
    { status: 503 },
  );
}
