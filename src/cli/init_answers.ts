import { appName, webOrigin } from "../apps/app_input.ts";

/**
 * `securix init`, the answers: the wizard and `--yes` both fill in the same
 * `InitDefaults` (strings as typed) and `buildAnswers` validates and
 * normalises them; init_plan.ts turns them into files. No IO here.
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
  /** Also write a systemd unit (securix.service) beside securix.toml. */
  service?: boolean;
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
  service: boolean;
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
  return {
    publicUrl,
    baseDomain,
    listen,
    database,
    masterKey,
    app,
    service: input.service === true,
  };
}
