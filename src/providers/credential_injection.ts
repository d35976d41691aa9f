import { SecurixError } from "../errors/securix_error.ts";
import { encodeBase64 } from "@oslojs/encoding";
// @ts-types="@types/aws4"
import aws4 from "aws4";
import { type StoredCredential } from "../connections/connection_types.ts";
import { tokenExpired } from "../connections/credential_errors.ts";
import { type HeaderPairs, pairValue, removePairs, setPair } from "../proxy/header_pairs.ts";
import type { CredentialInjection } from "./provider_definition.ts";

/** What a signing strategy needs to know of the request besides its headers and URL. */
export interface RequestFacts {
  method: string;
  /**
   * SigV4: the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD` for a body that
   * is streamed (not buffered); default `UNSIGNED-PAYLOAD`.
   */
  payloadHash?: string;
}

/**
 * Puts a credential on an outgoing upstream request: into `headers`, or, for
 * a query template, into a copy of `url`. Returns the URL to send to (`url`
 * itself unless the credential goes in the query), so the common header case
 * copies no URL.
 */
export type Injector = (
  credential: StoredCredential,
  headers: HeaderPairs,
  url: URL,
  facts?: RequestFacts,
) => URL;

export interface InjectorOptions {
  /** For the error a mismatched credential gets. */
  provider?: string;
  /** `api_key` credentials: the field sent; null: the only field. */
  credentialField?: string | null;
  /** SigV4's clock (X-Amz-Date). */
  now?: () => number;
}

/** The hex SHA-256 of an empty body, which SigV4 signs for body-less requests. */
export const EMPTY_PAYLOAD_HASH =
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/**
 * Builds the injector for a provider once, at startup. Whatever the caller
 * sent under the same header or query name is replaced, so a caller can never
 * choose the credential. Default headers (`Notion-Version`) are added only
 * when the caller did not send them.
 */
export function credentialInjector(
  injection: CredentialInjection,
  defaultHeaders: Readonly<Record<string, string>> = {},
  options: InjectorOptions = {},
): Injector {
  const put = placer(injection, options);
  const defaults = Object.entries(defaultHeaders).map(([n, v]) => [n.toLowerCase(), v] as const);
  return (credential, headers, url, facts) => {
    const target = put(credential, headers, url, facts);
    for (const [name, value] of defaults) {
      if (pairValue(headers, name) === null) headers.push([name, value]);
    }
    return target;
  };
}

type Placer = (c: StoredCredential, h: HeaderPairs, u: URL, f?: RequestFacts) => URL;

function placer(injection: CredentialInjection, options: InjectorOptions): Placer {
  const secret = secretOf(options);
  switch (injection.kind) {
    case "bearer":
      return (credential, headers, url) => {
        setPair(headers, "authorization", `Bearer ${secret(credential)}`);
        return url;
      };
    case "basic":
      return (credential, headers, url) => {
        const pair = credential.kind === "basic"
          ? `${credential.username}:${credential.password}`
          : secret(credential);
        const encoded = encodeBase64(new TextEncoder().encode(pair));
        setPair(headers, "authorization", `Basic ${encoded}`);
        return url;
      };
    case "header": {
      const { name, template } = checked(injection.template, injection.name);
      const lower = name.toLowerCase();
      return (credential, headers, url) => {
        setPair(headers, lower, fill(template, secret(credential)));
        return url;
      };
    }
    case "query": {
      const { name, template } = checked(injection.template, injection.name);
      return (credential, _headers, url) => {
        const target = new URL(url);
        target.searchParams.set(name, fill(template, secret(credential)));
        return target;
      };
    }
    case "aws_sigv4":
      return sigv4Placer(injection, options);
  }
}

/**
 * The string a header, query or bearer template carries: an OAuth access
 * token, or the configured field of an API key. A credential of another kind
 * (the provider's strategy changed since it was stored) cannot be used.
 */
function secretOf(options: InjectorOptions): (credential: StoredCredential) => string {
  const provider = options.provider ?? "provider";
  const field = options.credentialField ?? null;
  return (credential) => {
    if (credential.kind === undefined || credential.kind === "oauth2") {
      return credential.accessToken;
    }
    if (credential.kind === "api_key") {
      const names = Object.keys(credential.fields);
      const value = credential.fields[field ?? (names.length === 1 ? names[0] : "")];
      if (value !== undefined) return value;
    }
    throw mismatch(provider, credential.kind);
  };
}

function mismatch(provider: string, kind: string): Error {
  return tokenExpired(
    provider,
    `the stored ${kind} credential does not fit the provider's configured strategy; reconnect`,
  );
}

/**
 * The SigV4 headers that are ours alone: a caller's are dropped and ours put
 * in their place (the signature, its date, the payload hash we computed and
 * the session token of the stored credential), so a caller can neither choose
 * the credential nor replay another signature.
 */
const SIGV4_OURS = ["authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"];

/**
 * AWS Signature Version 4 on every request. The caller's Authorization,
 * X-Amz-Date, X-Amz-Content-Sha256 and X-Amz-Security-Token are dropped first
 * and ours set. Every other x-amz-* header the caller sent (x-amz-meta-*,
 * x-amz-acl, x-amz-server-side-encryption, x-amz-copy-source, x-amz-tagging,
 * x-amz-checksum-* …) is kept and signed, as AWS requires of x-amz-* headers;
 * several fields of one name are sent as one, joined by ", ", exactly as
 * signed. Also signed: host, and content-type and content-md5 when sent.
 */
function sigv4Placer(
  injection: { region: string; service: string },
  options: InjectorOptions,
): Placer {
  const provider = options.provider ?? "provider";
  const now = options.now ?? Date.now;
  return (credential, headers, url, facts) => {
    if (credential.kind !== "aws_sigv4") throw mismatch(provider, credential.kind ?? "oauth2");
    const streaming = streamingPayload(pairValue(headers, "x-amz-content-sha256"), provider);
    for (const name of SIGV4_OURS) removePairs(headers, name);
    const callers = new Set<string>();
    for (const [name] of headers) {
      const lower = name.toLowerCase();
      if (lower.startsWith("x-amz-")) callers.add(lower);
    }
    const payloadHash = streaming ?? facts?.payloadHash ?? UNSIGNED_PAYLOAD;
    const signed: Record<string, string> = {
      host: url.host,
      "x-amz-date": amzDate(now()),
      "x-amz-content-sha256": payloadHash,
    };
    for (const name of ["content-type", "content-md5", ...callers]) {
      const value = pairValue(headers, name);
      if (value === null) continue;
      // One field per name, so what AWS canonicalises is exactly the value signed.
      if (callers.has(name)) setPair(headers, name, value);
      signed[name] = value;
    }
    const request = aws4.sign({
      method: facts?.method ?? "GET",
      host: url.host,
      path: `${url.pathname}${url.search}`,
      service: injection.service,
      region: injection.region,
      headers: signed,
    }, {
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secretAccessKey,
      ...(credential.sessionToken ? { sessionToken: credential.sessionToken } : {}),
    });
    const out = request.headers as Record<string, string>;
    setPair(headers, "authorization", String(out.Authorization));
    setPair(headers, "x-amz-date", signed["x-amz-date"]);
    setPair(headers, "x-amz-content-sha256", payloadHash);
    const token = out["X-Amz-Security-Token"];
    if (token) setPair(headers, "x-amz-security-token", String(token));
    return url;
  };
}

/**
 * An aws-chunked upload (what AWS SDKs send for a streamed body with a
 * checksum trailer) declares its framing in x-amz-content-sha256, and the
 * body carries that framing: the value must reach AWS as sent. The unsigned
 * form is re-signed as it is (our signature covers the headers only); the
 * signed forms chain every chunk's signature from the caller's, which ours
 * replaces, so they cannot be forwarded and are refused with what to do.
 */
function streamingPayload(sent: string | null, provider: string): string | null {
  const value = sent?.trim() ?? "";
  if (value === "STREAMING-UNSIGNED-PAYLOAD-TRAILER") return value;
  if (!value.startsWith("STREAMING-")) return null;
  throw new SecurixError(
    "SX-SIGV4-SIGNED-STREAMING",
    `${provider}: a signed streaming upload (${
      value.slice(0, 60)
    }) cannot be re-signed by the proxy`,
    {
      status: 400,
      details: { provider },
      llmError:
        "Send the upload with an unsigned payload: set the AWS SDK's payload signing off (or requestChecksumCalculation to WHEN_REQUIRED) when it talks to Securix.",
    },
  );
}

/** `20261202T104000Z`: SigV4's basic ISO 8601 form. */
function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

function checked(template: string, name: string): { name: string; template: string } {
  if (!template.includes("{token}")) {
    throw new TypeError(`Credential template for "${name}" has no {token} placeholder`);
  }
  return { name, template };
}

/** Not String.replace: a `$&` in a token must stay literal. */
function fill(template: string, token: string): string {
  return template.split("{token}").join(token);
}
