import { z } from "zod";
import type { OperationEntry } from "./operation.ts";

/**
 * What Securix knows about a provider. Catalog providers are written once per
 * family (google.ts, github.ts, …); custom providers (`kind = "oidc"` or
 * `"oauth2"` in securix.toml) are built into the same shape at startup. Every
 * URL here may be overridden per install, so nothing reads a provider's
 * endpoints from anywhere but its definition.
 */

/**
 * How an app's calls are authorised upstream, and so how the user consents:
 * `oauth2` through the provider's authorization page, every other strategy
 * through the appliance's credential form (see credential_form.ts).
 */
export type CredentialStrategy = "oauth2" | "header" | "query_param" | "basic_auth" | "aws_sigv4";

export const CREDENTIAL_STRATEGIES: readonly CredentialStrategy[] = [
  "oauth2",
  "header",
  "query_param",
  "basic_auth",
  "aws_sigv4",
];

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuth =
  /** `Authorization: Basic base64(client_id:client_secret)`. */
  | "basic"
  /** `client_id` and `client_secret` in the form body. */
  | "post"
  /** Public client: only `client_id` in the body; PKCE protects the code. */
  | "none";

/**
 * Token revocation, which is not one standard in practice:
 * - `rfc7009`: POST `token=…` with client authentication (Google, GitLab, OIDC servers).
 * - `bearer`: POST with `Authorization: Bearer <access token>`; the call revokes
 *   the token it is authenticated with (Slack `auth.revoke`, Dropbox, Linear).
 * - `github_grant`: DELETE `/applications/{client_id}/grant` with client Basic
 *   auth and the access token in a JSON body; `{client_id}` in `url` is replaced.
 */
export interface Revocation {
  style: "rfc7009" | "bearer" | "github_grant";
  url: string;
}

/** How a provider's token endpoint answers. */
export type TokenResponseShape =
  /** RFC 6749 §5.1 JSON; errors as §5.2 JSON (any status). */
  | "standard"
  /** Slack `oauth.v2.access`: always 200, `ok: false` + `error` on failure, user token in `authed_user`. */
  | "slack";

export interface OAuthSettings {
  authorizationUrl: string;
  tokenUrl: string;
  revocation: Revocation | null;
  /** The provider issues refresh tokens and accepts `grant_type=refresh_token`. */
  refresh: boolean;
  /** Send PKCE S256 (`code_challenge`) with the authorization request. */
  pkce: boolean;
  /** Joins scopes in the authorization request (responses are split on both). */
  scopeSeparator: " " | ",";
  /** Query parameter that carries the scopes; Slack puts user scopes in `user_scope`. */
  scopeParam: "scope" | "user_scope";
  /** Added to every authorization request, e.g. Google's `access_type=offline`. */
  extraAuthorizationParams: Readonly<Record<string, string>>;
  /**
   * Always requested on top of what the app asked for: what the appliance
   * itself needs (a refresh token, reading the account identity). Exempt from
   * the operator's allowlist because the app never sees them used.
   */
  alwaysScopes: readonly string[];
  clientAuth: ClientAuth;
  tokenResponse: TokenResponseShape;
}

/** The connected account, as shown to the operator and app. */
export interface AccountIdentity {
  id: string;
  email: string | null;
  name: string | null;
}

/**
 * Reads who connected: one authenticated request to `url`, and `parse` to
 * pick the fields out of the JSON answer (returning null when the answer does
 * not name an account).
 */
export interface IdentitySource {
  url: string;
  method: "GET" | "POST";
  /** JSON body for POST APIs (Linear GraphQL); omitted for GET and body-less POST. */
  jsonBody: unknown | null;
  parse(json: unknown): AccountIdentity | null;
}

/** One proxy host: `<host>.api.<base_domain>` → `baseUrl`. */
export interface ApiHost {
  host: string;
  baseUrl: string;
  /** The upstream also speaks WebSocket (ws:// or wss:// on the same host and path). */
  websocket?: boolean;
}

/**
 * Where the credential goes on a proxied request. Templates contain
 * `{token}`, replaced by the access token or API key.
 * - `bearer`: `Authorization: Bearer <token>`.
 * - `header`: `<name>: <template>` (e.g. Linear API keys: `Authorization: {token}`).
 * - `query`: `?<name>=<template>` for APIs that want the key in the URL.
 * - `basic`: `Authorization: Basic base64(<token>)`, the token being `user:secret`
 *   (e.g. Atlassian `email:api_token`).
 */
export type CredentialInjection =
  | { kind: "bearer" }
  | { kind: "header"; name: string; template: string }
  | { kind: "query"; name: string; template: string }
  | { kind: "basic" }
  /** Every request signed with AWS Signature Version 4 for `region` and `service`. */
  | { kind: "aws_sigv4"; region: string; service: string };

/** The validating call the credential form makes before it stores what the user typed. */
export interface TestRequest {
  method: "GET" | "HEAD" | "POST";
  /** Path (and query) under the provider's API base. */
  path: string;
  expectStatus: number;
}

/** A provider whose credential the user types into the appliance's form (API key, password, keys). */
export interface CredentialFormSettings {
  schema: CredentialSchema;
  testRequest: TestRequest;
  /** `api_key` credentials: which field is injected (the only field when the schema has one). */
  credentialField: string | null;
}

/** One field of a credential form: the JSON-Schema subset securix.toml accepts. */
export interface CredentialSchemaProperty {
  type: "string" | "number" | "boolean";
  title?: string;
  description?: string;
  format?: "password";
  pattern?: string;
  enum?: (string | number | boolean)[];
}

export interface CredentialSchema {
  type: "object";
  required: string[];
  properties: Record<string, CredentialSchemaProperty>;
}

export interface ProviderDefinition {
  /** Config key and default proxy host, e.g. `gmail`. */
  name: string;
  /** The file it comes from, e.g. `google`; `custom` for configured ones. */
  family: string;
  displayName: string;
  strategy: CredentialStrategy;
  /** Null for providers consented with the credential form (see `form`). */
  oauth: OAuthSettings | null;
  /** Non-OAuth strategies: the credential form, its schema and its validating call. */
  form?: CredentialFormSettings | null;
  identity: IdentitySource | null;
  /** Upstream APIs, the primary first (`api_base_url` overrides the primary). */
  apis: readonly ApiHost[];
  injection: CredentialInjection;
  /**
   * Headers every proxied request carries unless the caller set them, e.g.
   * `Notion-Version`. Not forced: an official SDK pins the version it was
   * written against, and overriding it would change response shapes under it.
   */
  defaultHeaders: Readonly<Record<string, string>>;
  /** Requested when a session names no scopes. */
  defaultScopes: readonly string[];
  /**
   * Present for providers that also run self-managed (GitLab): the
   * definition for an install at `baseUrl`, from `base_url` in securix.toml.
   */
  selfManaged?: (baseUrl: string) => ProviderDefinition;
  /**
   * Custom providers: the operations declared in securix.toml, for
   * `operationMapFor(name, operations)`. Catalog providers have built-in maps.
   */
  operations?: readonly OperationEntry[];
  /**
   * The method override header the provider documents honouring on a POST
   * (Google: `x-http-method-override`), lower case. Absent: the provider is
   * taken to honour none, so the proxy strips every override header and the
   * rules judge the method sent.
   */
  methodOverrideHeader?: string;
  /**
   * A form field the provider reads as the method of a POST (Rails'
   * Rack::MethodOverride: `_method`): such a POST is refused, the rules
   * could not judge it as the provider acts on it.
   */
  methodOverrideField?: string;
  /**
   * The provider's API needs a percent-encoded slash inside a path segment
   * (GitLab: `projects/group%2Fproject`, `repository/files/src%2Fa.rb`). The
   * proxy refuses `%2F` for every other provider (a path-confusion guard).
   */
  encodedSlashes?: boolean;
}

/** Defaults shared by most OAuth providers; families spread and override. */
export const OAUTH_DEFAULTS = {
  revocation: null,
  refresh: true,
  pkce: true,
  scopeSeparator: " ",
  scopeParam: "scope",
  extraAuthorizationParams: {},
  alwaysScopes: [],
  clientAuth: "basic",
  tokenResponse: "standard",
} as const satisfies Partial<OAuthSettings>;

/**
 * Builds an identity `parse` from a zod schema (provider JSON is parsed at the
 * edge like any other input) and a pick of the fields.
 */
export function identityFrom<T>(
  schema: z.ZodType<T>,
  pick: (data: T) => AccountIdentity,
): (json: unknown) => AccountIdentity | null {
  return (json) => {
    const result = schema.safeParse(json);
    return result.success ? pick(result.data) : null;
  };
}

/** A provider id field: string, or number (GitHub, GitLab), always returned as a string. */
export const providerId = z.union([z.string().min(1), z.number().int()]).transform(String);
