import { appName, webOrigin } from "../apps/app_input.ts";
import { dnsRecords, formatDnsRecords } from "./dns_records.ts";
import { caddyConfig, nginxConfig, type ProxyTarget } from "./reverse_proxy_configs.ts";

/**
 * `securix init`, the pure part: the wizard and `--yes` both fill in the same
 * `InitDefaults` (strings as typed), `buildAnswers` validates and normalises
 * them, and `planInit` turns the answers into securix.toml text. No IO here,
 * so both modes write byte-identical files for the same answers.
 */

export const DEFAULT_LISTEN = "127.0.0.1:8080";
export const DEFAULT_DATABASE = "file:securix-data/securix.db";
export const DEFAULT_MASTER_KEY_FILE = "securix-data/master.key";
export const DEFAULT_MASTER_KEY_ENV = "SECURIX_MASTER_KEY";

/** What the operator typed (or passed as flags); "" means "use the derived default". */
export interface InitDefaults {
  publicUrl: string;
  baseDomain: string;
  listen: string;
  database: string;
  databaseAuthTokenEnv: string;
  masterKey: "file" | "env";
  masterKeyFile: string;
  masterKeyEnv: string;
  app: string;
  origins: string[];
}

export type DatabaseAnswer =
  | { kind: "file"; path: string }
  | { kind: "server"; url: string; authTokenEnv: string | null };

export type MasterKeyAnswer = { kind: "file"; path: string } | { kind: "env"; name: string };

export interface InitAnswers {
  publicUrl: string;
  baseDomain: string;
  listen: string;
  database: DatabaseAnswer;
  masterKey: MasterKeyAnswer;
  app: { name: string; origins: string[] } | null;
}

/** A value the operator gave that cannot be used; `field` names the flag. */
export class InitInputError extends Error {
  constructor(readonly field: string, detail: string) {
    super(`--${field}: ${detail}`);
    this.name = "InitInputError";
  }
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOMAIN =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const SERVER_SCHEMES = ["libsql:", "http:", "https:", "ws:", "wss:"];

/** Field validators: an error message, or undefined when the value is usable. */
export const validate = {
  publicUrl(value: string): string | undefined {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return "expected a URL like https://securix.example.com";
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      return "expected http:// or https://";
    }
    if (url.pathname !== "/" || url.search || url.hash || url.username) {
      return "expected scheme://host[:port] without a path, query or credentials";
    }
    return undefined;
  },
  baseDomain(value: string): string | undefined {
    return DOMAIN.test(value.toLowerCase()) ? undefined : "expected a domain name like example.com";
  },
  listen(value: string): string | undefined {
    const match = HOST_PORT.exec(value);
    if (!match || Number(match[2]) > 65535) return 'expected "host:port" like 127.0.0.1:8080';
    return undefined;
  },
  database(value: string): string | undefined {
    if (value.startsWith("file:")) {
      return filePath(value) ? undefined : "expected file:<path>";
    }
    try {
      if (SERVER_SCHEMES.includes(new URL(value).protocol)) return undefined;
    } catch { /* falls through */ }
    return "expected file:<path> or a libSQL server URL (libsql://, https://, wss://)";
  },
  path(value: string): string | undefined {
    return value.trim() === "" || /[\n\r"]/.test(value) ? "expected a file path" : undefined;
  },
  envName(value: string): string | undefined {
    return ENV_NAME.test(value) ? undefined : "expected an environment variable name like MY_KEY";
  },
  appName(value: string): string | undefined {
    const result = appName.safeParse(value);
    return result.success ? undefined : result.error.issues[0].message;
  },
  origin(value: string): string | undefined {
    const result = webOrigin.safeParse(value);
    return result.success ? undefined : result.error.issues[0].message;
  },
};

function filePath(databaseUrl: string): string {
  return normalizePath(databaseUrl.replace(/^file:(\/\/(?=\/))?/, ""));
}

/** `./a/b` → `a/b`; relative paths resolve against the config file's directory. */
export function normalizePath(path: string): string {
  return path.trim().replace(/^(\.\/)+/, "");
}

export function listenPort(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(":") + 1));
}

/** `https://securix.example.com` → `securix.example.com`; IPs and localhost → `localhost`. */
export function deriveBaseDomain(publicUrl: string): string {
  const host = new URL(publicUrl).hostname.toLowerCase();
  if (host.startsWith("[") || /^[0-9.]+$/.test(host)) return "localhost";
  return host;
}

export function defaultPublicUrl(listen: string): string {
  return `http://localhost:${listenPort(listen)}`;
}

/** Splits "a, b c" into origins, for the wizard's one-line answer. */
export function splitOrigins(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean);
}

function check(field: string, value: string, validator: (v: string) => string | undefined): string {
  const error = validator(value);
  if (error) throw new InitInputError(field, `${error}, got ${JSON.stringify(value)}`);
  return value;
}

/** Validates and normalises what was typed; throws InitInputError on the first bad value. */
export function buildAnswers(input: InitDefaults): InitAnswers {
  const listen = check("listen", input.listen.trim() || DEFAULT_LISTEN, validate.listen);
  const rawUrl = input.publicUrl.trim() || defaultPublicUrl(listen);
  const publicUrl = new URL(check("public-url", rawUrl, validate.publicUrl)).origin;
  const baseDomain = check(
    "base-domain",
    (input.baseDomain.trim() || deriveBaseDomain(publicUrl)).toLowerCase(),
    validate.baseDomain,
  );
  const dbValue = check("database", input.database.trim() || DEFAULT_DATABASE, validate.database);
  const tokenEnv = input.databaseAuthTokenEnv.trim();
  if (tokenEnv) check("database-auth-token-env", tokenEnv, validate.envName);
  const database: DatabaseAnswer = dbValue.startsWith("file:")
    ? { kind: "file", path: filePath(dbValue) }
    : { kind: "server", url: dbValue, authTokenEnv: tokenEnv || null };
  const masterKey: MasterKeyAnswer = input.masterKey === "env"
    ? {
      kind: "env",
      name: check(
        "master-key-env",
        input.masterKeyEnv.trim() || DEFAULT_MASTER_KEY_ENV,
        validate.envName,
      ),
    }
    : {
      kind: "file",
      path: normalizePath(
        check("master-key-file", input.masterKeyFile || DEFAULT_MASTER_KEY_FILE, validate.path),
      ),
    };
  const name = input.app.trim();
  if (!name && input.origins.length > 0) throw new InitInputError("origin", "needs --app");
  const app = name
    ? {
      name: check("app", name, validate.appName),
      origins: input.origins.map((o) => new URL(check("origin", o, validate.origin)).origin),
    }
    : null;
  return { publicUrl, baseDomain, listen, database, masterKey, app };
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\./.test(h);
}

/** trust_proxy: on exactly when a TLS-terminating proxy must be in front. */
export function trustProxyDecision(answers: InitAnswers): { value: boolean; reason: string } {
  const https = answers.publicUrl.startsWith("https:");
  const loopback = isLoopback(answers.listen.slice(0, answers.listen.lastIndexOf(":")));
  if (https && loopback) {
    return {
      value: true,
      reason: "public_url is https while the appliance listens on loopback, so a " +
        "TLS-terminating reverse proxy sits in front and sets them",
    };
  }
  if (https) {
    return {
      value: false,
      reason: "the appliance listens on a non-loopback address where clients could forge " +
        "them; set true only when nothing but the reverse proxy can reach it",
    };
  }
  return {
    value: false,
    reason: "public_url is plain http, so no TLS-terminating proxy is expected",
  };
}

export interface InitPlan {
  /** The securix.toml text. */
  toml: string;
  trustProxy: { value: boolean; reason: string };
  /** Master key file to create when missing (relative to the config dir), or null in env mode. */
  keyFile: string | null;
  /** Embedded database file (relative to the config dir), or null for a server. */
  databaseFile: string | null;
  /** Directories to create (mode 0700) before writing files. */
  dataDirs: string[];
}

function dirOf(path: string): string | null {
  const at = path.lastIndexOf("/");
  return at <= 0 ? null : path.slice(0, at);
}

export function planInit(answers: InitAnswers): InitPlan {
  const trustProxy = trustProxyDecision(answers);
  const keyFile = answers.masterKey.kind === "file" ? answers.masterKey.path : null;
  const databaseFile = answers.database.kind === "file" ? answers.database.path : null;
  const dataDirs = [keyFile, databaseFile].map((p) => (p ? dirOf(p) : null))
    .filter((d): d is string => d !== null);
  return {
    toml: renderToml(answers, trustProxy),
    trustProxy,
    keyFile,
    databaseFile,
    dataDirs: [...new Set(dataDirs)],
  };
}

const q = (value: string) => JSON.stringify(value);

/** Wraps a comment to the 100-column line width. */
function comment(text: string): string {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(" ")) {
    if (line.length + word.length + 1 > 92 && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += " " + word;
  }
  return [...lines, line].join("\n");
}

function renderToml(answers: InitAnswers, trustProxy: { value: boolean; reason: string }): string {
  const { database: db, masterKey } = answers;
  const dbLines = db.kind === "file"
    ? [
      comment("Embedded libSQL file, encrypted with a key derived from the master key."),
      `url = ${q(`file:${db.path}`)}`,
    ]
    : [
      comment("libSQL server (sqld / Turso) shared by every appliance node."),
      `url = ${q(db.url)}`,
      db.authTokenEnv
        ? `auth_token = ${q(`env:${db.authTokenEnv}`)}`
        : '# auth_token = "env:LIBSQL_AUTH_TOKEN"',
    ];
  const keyLines = masterKey.kind === "file"
    ? [
      comment(
        "A file of 64 hex characters, mode 0600. Back it up: the vault and the database " +
          "cannot be opened without it.",
      ),
      `master_key = ${q(`file:${masterKey.path}`)}`,
    ]
    : [
      comment(
        `Read from the environment variable ${masterKey.name} (64 hex characters). ` +
          "Keep it in your secret store: the vault and the database cannot be opened without it.",
      ),
      `master_key = ${q(`env:${masterKey.name}`)}`,
    ];
  return [
    "# Securix appliance configuration, written by `securix init`.",
    comment(
      "Relative paths resolve against this file's directory. Unset keys take their " +
        "documented defaults; SECURIX_<SECTION>_<KEY> environment variables override single keys.",
    ),
    "",
    "# [server]: where the appliance listens and how users, providers and apps reach it.",
    "[server]",
    comment("Address the appliance listens on."),
    `listen = ${q(answers.listen)}`,
    comment("URL users and providers reach the appliance at (consent pages, OAuth callbacks)."),
    `public_url = ${q(answers.publicUrl)}`,
    comment(
      `Proxy hosts are <provider>.api.${answers.baseDomain}, e.g. ` +
        `gmail.api.${answers.baseDomain}.`,
    ),
    `base_domain = ${q(answers.baseDomain)}`,
    comment(
      `Believe X-Forwarded-For/-Host/-Proto from a reverse proxy. ${
        trustProxy.value ? "On" : "Off"
      } because ${trustProxy.reason}.`,
    ),
    `trust_proxy = ${trustProxy.value}`,
    comment("Prometheus metrics listener, separate from the public one."),
    '# metrics_listen = "127.0.0.1:9464"',
    "",
    "# [database]: where apps, connections and the audit log are stored.",
    "[database]",
    ...dbLines,
    "",
    "# [vault]: the master key that encrypts provider tokens; never written into this file.",
    "[vault]",
    ...keyLines,
    "",
  ].join("\n");
}

export interface Section {
  title: string;
  body: string;
}

/**
 * The "Next steps" after writing: DNS records, proxy configs, trust_proxy and
 * the commands to run. `configArg` is the --config to repeat when the file is
 * not ./securix.toml of the current directory.
 */
export function nextSteps(
  answers: InitAnswers,
  plan: InitPlan,
  options: { configArg: string | null },
): Section[] {
  const publicHost = new URL(answers.publicUrl).hostname;
  const target: ProxyTarget = {
    publicHost,
    baseDomain: answers.baseDomain,
    listen: answers.listen,
  };
  const config = options.configArg ? ` --config ${options.configArg}` : "";
  const sections: Section[] = [
    { title: "DNS records", body: formatDnsRecords(dnsRecords(answers)) },
  ];
  if (!isLoopback(publicHost)) {
    sections.push(
      { title: "Caddy (Caddyfile)", body: caddyConfig(target).trimEnd() },
      { title: "nginx (e.g. /etc/nginx/conf.d/securix.conf)", body: nginxConfig(target).trimEnd() },
    );
  }
  sections.push({
    title: "Reverse proxy trust",
    body: plan.trustProxy.value
      ? "securix.toml sets trust_proxy = true, so the appliance believes X-Forwarded-For/-Host/" +
        `-Proto: ${plan.trustProxy.reason}.`
      : `securix.toml sets trust_proxy = false: ${plan.trustProxy.reason}. Behind a reverse ` +
        "proxy that alone can reach the appliance, set trust_proxy = true.",
  });
  sections.push({
    title: "Then",
    body: [
      `securix${config} serve     # start the appliance`,
      `securix${config} doctor    # check config, key, database, migrations and DNS`,
      `OAuth redirect URI to register at providers: ${answers.publicUrl}/oauth/callback`,
    ].join("\n"),
  });
  return sections;
}
