import { z } from "zod";
import { show } from "../config/show_value.ts";
import { resolveSecret, type SecretSources } from "../config/secret_ref.ts";
import { catalogNames, catalogProvider } from "./catalog.ts";
import { OPERATION_CLASSES, type OperationEntry } from "./operation.ts";
import { indexEntries, parseTemplate } from "./operation_map.ts";
import { type Issue, parseCredentialSchema } from "./credential_schema.ts";
import {
  CREDENTIAL_STRATEGIES,
  type CredentialSchema,
  type CredentialStrategy,
  type TestRequest,
} from "./provider_definition.ts";

/**
 * The `[providers.<name>]` tables of securix.toml. A name from the catalog
 * (gmail, github, …) enables that provider; any other name with
 * `kind = "oidc"` or `kind = "oauth2"` is a custom provider. Keys are strict:
 * a typo is an error naming the keys that are accepted, never silently ignored.
 */

/** Holds the client secret out of sight: not in JSON, not in console output. */
export class ClientCredentials {
  readonly clientId: string;
  readonly #secret: string | null;

  constructor(clientId: string, clientSecret: string | null) {
    this.clientId = clientId;
    this.#secret = clientSecret;
  }

  get clientSecret(): string | null {
    return this.#secret;
  }

  toJSON(): Record<string, unknown> {
    return { clientId: this.clientId, clientSecret: this.#secret === null ? null : "[redacted]" };
  }
}

/** `form`: a custom provider whose credential the user types into the appliance's form. */
export type ProviderKind = "catalog" | "oidc" | "oauth2" | "form";

/** `[providers.<name>]` of a non-OAuth strategy: how its credential is asked for and sent. */
export interface FormProviderConfig {
  strategy: Exclude<CredentialStrategy, "oauth2">;
  /** `header`: where the key goes; default Authorization. */
  headerName: string;
  /** `header`: written before the key, e.g. "Token " (default none). */
  valuePrefix: string;
  /** `query_param`: the parameter appended to the upstream URL. */
  paramName: string | null;
  /** Which field of an api_key credential is sent (header, query_param). */
  credentialField: string | null;
  schema: CredentialSchema;
  testRequest: TestRequest;
  /** `aws_sigv4` only. */
  region: string | null;
  service: string | null;
}

/** One enabled provider as configured (defaults and the catalog applied later). */
export interface EnabledProviderConfig {
  name: string;
  kind: ProviderKind;
  enabled: true;
  displayName: string | null;
  client: ClientCredentials;
  /** Allowlist; null allows any scope. */
  scopes: string[] | null;
  defaultScopes: string[] | null;
  /** Custom providers only; null keeps the default (on). */
  pkce: boolean | null;
  /** `kind = "oidc"` only. */
  issuer: string | null;
  /** gitlab only: a self-managed instance. */
  baseUrl: string | null;
  /** The API host also takes WebSocket upgrades (proxied with the credential at the handshake). */
  websocket: boolean;
  /** `[providers.<name>.authorization_params]`: added to every authorization request. */
  authorizationParams: Readonly<Record<string, string>>;
  /** Custom providers: `[[providers.<name>.operations]]`, for the operation map. */
  operations: readonly OperationEntry[];
  /** `kind = "form"` providers (a non-OAuth `strategy`); null for OAuth ones. */
  form?: FormProviderConfig | null;
  urls: {
    authorization: string | null;
    token: string | null;
    userinfo: string | null;
    revocation: string | null;
    apiBase: string | null;
  };
}

/** `enabled = false`: kept so listings show it; its secrets are not read. */
export interface DisabledProviderConfig {
  name: string;
  kind: ProviderKind;
  enabled: false;
  displayName: string | null;
  scopes: string[] | null;
}

export type ProviderConfig = EnabledProviderConfig | DisabledProviderConfig;

const COMMON_KEYS = [
  "enabled",
  "display_name",
  "client_id",
  "client_secret",
  "scopes",
  "default_scopes",
  "authorization_url",
  "token_url",
  "userinfo_url",
  "revocation_url",
  "api_base_url",
  "websocket",
  "authorization_params",
];

/**
 * Parameters the appliance sets itself: overriding them would break the
 * state binding, PKCE, the registered redirect or the scope allowlist.
 */
export const RESERVED_AUTHORIZATION_PARAMS = [
  "state",
  "code_challenge",
  "code_challenge_method",
  "redirect_uri",
  "client_id",
  "response_type",
  "scope",
  "user_scope",
];

/** Whether `name` is one of RESERVED_AUTHORIZATION_PARAMS, in any letter case. */
export function isReservedAuthorizationParam(name: string): boolean {
  return RESERVED_AUTHORIZATION_PARAMS.includes(name.toLowerCase());
}

/** Why a key is refused where it is, when it is valid elsewhere. */
const MISPLACED: Record<string, string> = {
  base_url: "only gitlab accepts base_url (the URL of a self-managed GitLab)",
  pkce:
    'pkce is fixed for catalog providers; only custom providers (kind = "oidc" or "oauth2") set it',
  issuer: 'issuer is only for kind = "oidc" (OpenID discovery)',
  operations: "catalog providers have built-in operations (securix providers operations " +
    'NAME); only custom providers (kind = "oidc" or "oauth2") declare them',
};

/** Keys of a provider whose credential comes from the form (a non-OAuth `strategy`). */
const FORM_KEYS = [
  "strategy",
  "header_name",
  "value_prefix",
  "credential_field",
  "param_name",
  "credential_schema",
  "test_request",
  "region",
  "service",
];

/** Headers the transport or the appliance own: a credential never goes there. */
const RESERVED_HEADERS = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
  "proxy-authorization",
  "cookie",
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const AWS_NAME = /^[a-z0-9-]{1,64}$/;

const CUSTOM_NAME = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** https, or http to this machine only (tests, a local IdP): client secrets travel here. */
export function isSafeProviderUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    if (url.username || url.password || url.hash) return false;
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

const providerUrl = z.string().refine(isSafeProviderUrl, {
  error: (iss) =>
    `expected an https:// URL without credentials (http:// only for localhost), got ${
      show(iss.input)
    }`,
});

const scopeList = z.array(
  z.string().regex(SCOPE_TOKEN, {
    error: (iss) => `expected a scope without spaces or quotes, got ${show(iss.input)}`,
  }),
).min(1, { error: "list at least one scope, or leave the key out to allow any" })
  .refine((list) => new Set(list).size === list.length, { error: "lists a scope twice" });

const PARAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const authorizationParams = z.record(
  z.string(),
  z.string({ error: (iss) => `expected a string value, got ${show(iss.input)}` }).max(1024),
  {
    error: (iss) => `expected a table of strings, e.g. prompt = "consent", got ${show(iss.input)}`,
  },
).superRefine((params, ctx) => {
  for (const name of Object.keys(params)) {
    if (isReservedAuthorizationParam(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `${show(name)} is set by the appliance and cannot be overridden (reserved: ${
          RESERVED_AUTHORIZATION_PARAMS.join(", ")
        })`,
      });
    } else if (!PARAM_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `expected a parameter name of letters, digits, "_", "." or "-", got ${show(name)}`,
      });
    }
  }
});

const table = z.object({
  kind: z.enum(["oidc", "oauth2"], { error: 'expected "oidc" or "oauth2"' }).optional(),
  enabled: z.boolean().default(true),
  display_name: z.string().min(1).optional(),
  client_id: z.string().min(1).optional(),
  client_secret: z.string().min(1).optional(),
  scopes: scopeList.optional(),
  default_scopes: scopeList.optional(),
  pkce: z.boolean().optional(),
  issuer: providerUrl.optional(),
  base_url: providerUrl.optional(),
  authorization_url: providerUrl.optional(),
  token_url: providerUrl.optional(),
  userinfo_url: providerUrl.optional(),
  revocation_url: providerUrl.optional(),
  api_base_url: providerUrl.optional(),
  websocket: z.boolean().optional(),
  authorization_params: authorizationParams.optional(),
  operations: z.unknown().optional(),
  strategy: z.enum(CREDENTIAL_STRATEGIES as [CredentialStrategy, ...CredentialStrategy[]], {
    error: (iss) => `expected one of ${CREDENTIAL_STRATEGIES.join(", ")}, got ${show(iss.input)}`,
  }).optional(),
  header_name: z.string().regex(HEADER_NAME, {
    error: (iss) => `expected an HTTP header name, got ${show(iss.input)}`,
  }).refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()) && !/^securix-/i.test(name), {
    error: (iss) => `${show(iss.input)} cannot carry a credential (the transport owns it)`,
  }).optional(),
  value_prefix: z.string().max(64).regex(/^[\x20-\x7E]*$/, {
    error: "expected printable ASCII (no line breaks)",
  }).optional(),
  credential_field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    error: (iss) => `expected a field name of credential_schema, got ${show(iss.input)}`,
  }).optional(),
  param_name: z.string().regex(PARAM_NAME, {
    error: (iss) =>
      `expected a query parameter name of letters, digits, "_", "." or "-", got ${show(iss.input)}`,
  }).optional(),
  credential_schema: z.unknown().optional(),
  test_request: z.strictObject({
    method: z.string().transform((m) => m.toUpperCase()).pipe(
      z.enum(["GET", "HEAD", "POST"], { error: "expected GET, HEAD or POST" }),
    ).default("GET"),
    path: z.string().regex(/^\/[\x21-\x7E]*$/, {
      error: (iss) => `expected a path starting with "/", got ${show(iss.input)}`,
    }),
    expect_status: z.number().int().min(100).max(599).default(200),
  }, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown key ${iss.keys.join(", ")}; test_request has method, path, expect_status`
        : `expected { method = "GET", path = "/me", expect_status = 200 }, got ${show(iss.input)}`,
  }).optional(),
  region: z.string().regex(AWS_NAME, {
    error: (iss) => `expected an AWS region such as "eu-west-1", got ${show(iss.input)}`,
  }).optional(),
  service: z.string().regex(AWS_NAME, {
    error: (iss) => `expected an AWS service name such as "s3", got ${show(iss.input)}`,
  }).optional(),
});
type Table = z.output<typeof table>;

/** Every key a `[providers.<name>]` table may hold (tests/readme_test.ts keeps README's list true). */
export const PROVIDER_KEYS: readonly string[] = Object.keys(table.shape);

/** The schema of the whole `[providers]` section; secrets resolve through `sources`. */
export function providersSchema(sources: SecretSources) {
  return z.record(z.string(), z.unknown()).transform(async (tables, ctx) => {
    const out: Record<string, ProviderConfig> = {};
    for (const [name, raw] of Object.entries(tables)) {
      const result = await parseProvider(name, raw, sources);
      if ("issues" in result) {
        for (const issue of result.issues) {
          ctx.addIssue({ code: "custom", message: issue.message, path: [name, ...issue.path] });
        }
      } else {
        out[name] = result.config;
      }
    }
    return out;
  });
}

async function parseProvider(
  name: string,
  raw: unknown,
  sources: SecretSources,
): Promise<{ config: ProviderConfig } | { issues: Issue[] }> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { issues: [{ path: [], message: `expected a table, got ${show(raw)}` }] };
  }
  const rawTable = raw as Record<string, unknown>;
  const kindIssue = checkKind(name, rawTable.kind, rawTable.strategy);
  if (kindIssue) return { issues: [kindIssue] };
  const kind: ProviderKind = rawTable.kind !== undefined
    ? rawTable.kind as ProviderKind
    : isFormStrategy(rawTable.strategy)
    ? "form"
    : "catalog";
  const keyIssues = checkKeys(name, kind, Object.keys(rawTable));
  if (keyIssues.length > 0) return { issues: keyIssues };
  const parsed = table.safeParse(rawTable);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    };
  }
  const data = parsed.data;
  const displayName = data.display_name ?? null;
  if (!data.enabled) {
    return {
      config: { name, kind, enabled: false, displayName, scopes: data.scopes ?? null },
    };
  }
  const missing = checkRequired(kind, data);
  if (missing.length > 0) return { issues: missing };
  const operations = parseOperations(name, data.operations);
  if ("issues" in operations) return operations;
  if (kind === "form") {
    const form = formConfig(data);
    if ("issues" in form) return form;
    return { config: formProvider(name, data, form.form, operations.entries) };
  }
  let secret: string | null = null;
  if (data.client_secret !== undefined) {
    try {
      secret = await resolveSecret(data.client_secret, sources);
    } catch (error) {
      return { issues: [{ path: ["client_secret"], message: (error as Error).message }] };
    }
  }
  return { config: enabledConfig(name, kind, data, secret, operations.entries) };
}

function isFormStrategy(strategy: unknown): boolean {
  return typeof strategy === "string" && strategy !== "oauth2" &&
    (CREDENTIAL_STRATEGIES as readonly string[]).includes(strategy);
}

function checkKind(name: string, kind: unknown, strategy: unknown): Issue | null {
  const inCatalog = catalogProvider(name) !== null;
  if (isFormStrategy(strategy) && (inCatalog || kind !== undefined)) {
    return {
      path: ["strategy"],
      message: inCatalog
        ? `"${name}" is a catalog provider (OAuth); give a ${
          String(strategy)
        } provider another name`
        : `kind = ${show(kind)} is an OAuth provider; leave kind out for strategy = ${
          show(strategy)
        }`,
    };
  }
  if (!inCatalog && kind === undefined && strategy !== undefined && !isFormStrategy(strategy)) {
    return {
      path: ["strategy"],
      message: strategy === "oauth2"
        ? 'an OAuth provider sets kind = "oidc" or "oauth2"'
        : `expected one of ${CREDENTIAL_STRATEGIES.join(", ")}, got ${show(strategy)}`,
    };
  }
  if (isFormStrategy(strategy)) {
    return CUSTOM_NAME.test(name) ? null : {
      path: [],
      message: `a custom provider's name becomes its proxy host (${name}.api.<base_domain>); ` +
        `use lowercase letters, digits and "-", up to 40 characters`,
    };
  }
  if (inCatalog && kind !== undefined) {
    return {
      path: ["kind"],
      message:
        `"${name}" is a catalog provider and takes no kind; give a custom provider another name`,
    };
  }
  if (!inCatalog && kind === undefined) {
    return {
      path: [],
      message: `unknown provider "${name}"; the catalog has ${
        catalogNames().join(", ")
      }; a custom provider sets kind = "oidc" or "oauth2", or a strategy (header, query_param, basic_auth, aws_sigv4)`,
    };
  }
  if (!inCatalog && !CUSTOM_NAME.test(name)) {
    return {
      path: [],
      message: `a custom provider's name becomes its proxy host (${name}.api.<base_domain>); ` +
        `use lowercase letters, digits and "-", up to 40 characters`,
    };
  }
  return null;
}

function allowedKeys(name: string, kind: ProviderKind): string[] {
  if (kind === "catalog") {
    return catalogProvider(name)?.selfManaged ? [...COMMON_KEYS, "base_url"] : COMMON_KEYS;
  }
  if (kind === "form") {
    return ["enabled", "display_name", "api_base_url", "websocket", "operations", ...FORM_KEYS];
  }
  return [
    "kind",
    "strategy",
    ...COMMON_KEYS,
    "pkce",
    "operations",
    ...(kind === "oidc" ? ["issuer"] : []),
  ];
}

function checkKeys(name: string, kind: ProviderKind, keys: string[]): Issue[] {
  const allowed = allowedKeys(name, kind);
  return keys.filter((key) => !allowed.includes(key)).map((key) => ({
    path: [key],
    message: MISPLACED[key] ?? `unknown key; [providers.${name}] accepts ${allowed.join(", ")}`,
  }));
}

function checkRequired(kind: ProviderKind, data: Table): Issue[] {
  const issues: Issue[] = [];
  const need = (key: keyof Table, why: string) => {
    if (data[key] === undefined) issues.push({ path: [key], message: `required: ${why}` });
  };
  if (kind === "form") {
    need("api_base_url", "the upstream API the proxy forwards this provider's host to");
    need("test_request", "the call that checks a credential before it is stored");
    if (data.strategy === "query_param") need("param_name", "the query parameter the key goes in");
    if (data.strategy === "aws_sigv4") {
      need("region", "the AWS region requests are signed for");
      need("service", 'the AWS service requests are signed for, e.g. "s3"');
    }
    return issues;
  }
  need("client_id", "the OAuth client id registered at the provider");
  if (kind === "catalog") {
    need("client_secret", "the OAuth client secret (or env:NAME / file:/path)");
  }
  if (kind === "oidc") need("issuer", "the issuer URL, where discovery starts");
  if (kind === "oauth2") {
    need("authorization_url", "a custom OAuth2 provider names its authorization endpoint");
    need("token_url", "a custom OAuth2 provider names its token endpoint");
  }
  if (kind !== "catalog") {
    need("api_base_url", "the upstream API the proxy forwards this provider's host to");
  }
  const allowed = data.scopes;
  const outside = (data.default_scopes ?? []).filter((s) => allowed && !allowed.includes(s));
  if (outside.length > 0) {
    issues.push({
      path: ["default_scopes"],
      message: `not in the scopes allowlist: ${outside.join(", ")}`,
    });
  }
  return issues;
}

const STRATEGY_KEYS: Record<string, string[]> = {
  header: ["header_name", "value_prefix", "credential_field"],
  query_param: ["param_name", "credential_field"],
  basic_auth: [],
  aws_sigv4: ["region", "service"],
};

function formConfig(data: Table): { form: FormProviderConfig } | { issues: Issue[] } {
  const strategy = data.strategy as FormProviderConfig["strategy"];
  const own = STRATEGY_KEYS[strategy];
  const misplaced = FORM_KEYS.filter((key) =>
    !["strategy", "credential_schema", "test_request"].includes(key) && !own.includes(key) &&
    data[key as keyof Table] !== undefined
  );
  if (misplaced.length > 0) {
    return {
      issues: misplaced.map((key) => ({
        path: [key],
        message: `strategy = "${strategy}" takes no ${key} (it takes ${
          own.length > 0 ? own.join(", ") : "no strategy keys"
        })`,
      })),
    };
  }
  const schema = parseCredentialSchema(
    data.credential_schema,
    strategy,
    data.credential_field ?? null,
  );
  if ("issues" in schema) return schema;
  const test = data.test_request!;
  return {
    form: {
      strategy,
      headerName: data.header_name ?? "Authorization",
      valuePrefix: data.value_prefix ?? "",
      paramName: data.param_name ?? null,
      credentialField: schema.field,
      schema: schema.schema,
      testRequest: { method: test.method, path: test.path, expectStatus: test.expect_status },
      region: data.region ?? null,
      service: data.service ?? null,
    },
  };
}

function formProvider(
  name: string,
  data: Table,
  form: FormProviderConfig,
  operations: OperationEntry[],
): EnabledProviderConfig {
  return {
    name,
    kind: "form",
    enabled: true,
    displayName: data.display_name ?? null,
    client: new ClientCredentials("", null),
    scopes: null,
    defaultScopes: null,
    pkce: null,
    issuer: null,
    baseUrl: null,
    websocket: data.websocket ?? false,
    authorizationParams: {},
    operations,
    form,
    urls: {
      authorization: null,
      token: null,
      userinfo: null,
      revocation: null,
      apiBase: data.api_base_url ?? null,
    },
  };
}

function enabledConfig(
  name: string,
  kind: ProviderKind,
  data: Table,
  secret: string | null,
  operations: OperationEntry[],
): EnabledProviderConfig {
  return {
    name,
    kind,
    enabled: true,
    displayName: data.display_name ?? null,
    client: new ClientCredentials(data.client_id as string, secret),
    scopes: data.scopes ?? null,
    defaultScopes: data.default_scopes ?? null,
    pkce: data.pkce ?? null,
    issuer: data.issuer ?? null,
    baseUrl: data.base_url ?? null,
    websocket: data.websocket ?? false,
    authorizationParams: data.authorization_params ?? {},
    operations,
    urls: {
      authorization: data.authorization_url ?? null,
      token: data.token_url ?? null,
      userinfo: data.userinfo_url ?? null,
      revocation: data.revocation_url ?? null,
      apiBase: data.api_base_url ?? null,
    },
  };
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const OPERATION_ID = /^[a-z0-9-]+(\.[A-Za-z0-9_]+)+$/;

function templateIssue(path: string): string | null {
  try {
    parseTemplate(path);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** One `[[providers.<name>.operations]]` table; `name` is the provider's. */
function operationEntry(name: string) {
  return z.strictObject({
    method: z.string({ error: `expected an HTTP method, e.g. "POST"` }).transform((m) =>
      m.toUpperCase()
    ).pipe(z.enum(METHODS, { error: `expected one of ${METHODS.join(", ")}` })),
    path: z.string({ error: 'expected a path template, e.g. "/v1/messages/{id}/send"' })
      .superRefine((path, ctx) => {
        const why = templateIssue(path);
        if (why) ctx.addIssue({ code: "custom", message: why });
      }),
    id: z.string({ error: `expected an operation id, e.g. "${name}.messages.send"` })
      .regex(OPERATION_ID, {
        error: (iss) =>
          `expected dot-separated names of letters, digits and "_", e.g. "${name}.messages.send", got ${
            show(iss.input)
          }`,
      })
      .refine((id) => id.startsWith(`${name}.`), {
        error: (iss) =>
          `an operation id starts with the provider name "${name}.", got ${show(iss.input)}`,
      })
      .refine((id) => id !== `${name}.unknown`, {
        error: `"${name}.unknown" is what calls matching no operation get; choose another id`,
      }),
    class: z.enum(OPERATION_CLASSES as [string, ...string[]], {
      error: (iss) => `expected ${OPERATION_CLASSES.join(", ")}, got ${show(iss.input)}`,
    }),
  }, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown key ${iss.keys.join(", ")}; an operation has method, path, id and class`
        : `expected a table with method, path, id and class, got ${show(iss.input)}`,
  });
}

/**
 * `[[providers.<name>.operations]]`: each entry checked on its own, then all
 * together (two entries for one method and template shape is an error).
 */
function parseOperations(
  name: string,
  raw: unknown,
): { entries: OperationEntry[] } | { issues: Issue[] } {
  if (raw === undefined) return { entries: [] };
  if (!Array.isArray(raw)) {
    return {
      issues: [{
        path: ["operations"],
        message: `expected a list of tables ([[providers.${name}.operations]]), got ${show(raw)}`,
      }],
    };
  }
  const parsed = z.array(operationEntry(name)).safeParse(raw);
  if (!parsed.success) {
    return {
      issues: parsed.error.issues.map((i) => ({
        path: ["operations", ...i.path.map(String)],
        message: i.message,
      })),
    };
  }
  const entries = parsed.data as OperationEntry[];
  try {
    indexEntries(entries);
  } catch (error) {
    return { issues: [{ path: ["operations"], message: (error as Error).message }] };
  }
  return { entries };
}
