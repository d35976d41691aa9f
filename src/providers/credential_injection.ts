import { encodeBase64 } from "@oslojs/encoding";
import { type HeaderPairs, pairValue, setPair } from "../proxy/header_pairs.ts";
import type { CredentialInjection } from "./provider_definition.ts";

/**
 * Puts a credential on an outgoing upstream request: into `headers`, or, for
 * a query template, into a copy of `url`. Returns the URL to send to (`url`
 * itself unless the credential goes in the query), so the common header case
 * copies no URL.
 */
export type Injector = (
  credential: { accessToken: string },
  headers: HeaderPairs,
  url: URL,
) => URL;

/**
 * Builds the injector for a provider once, at startup. Whatever the caller
 * sent under the same header or query name is replaced, so a caller can never
 * choose the credential. Default headers (`Notion-Version`) are added only
 * when the caller did not send them.
 */
export function credentialInjector(
  injection: CredentialInjection,
  defaultHeaders: Readonly<Record<string, string>> = {},
): Injector {
  const put = placer(injection);
  const defaults = Object.entries(defaultHeaders).map(([n, v]) => [n.toLowerCase(), v] as const);
  return (credential, headers, url) => {
    const target = put(credential.accessToken, headers, url);
    for (const [name, value] of defaults) {
      if (pairValue(headers, name) === null) headers.push([name, value]);
    }
    return target;
  };
}

type Placer = (token: string, h: HeaderPairs, u: URL) => URL;

function placer(injection: CredentialInjection): Placer {
  switch (injection.kind) {
    case "bearer":
      return (token, headers, url) => {
        setPair(headers, "authorization", `Bearer ${token}`);
        return url;
      };
    case "basic":
      return (token, headers, url) => {
        const encoded = encodeBase64(new TextEncoder().encode(token));
        setPair(headers, "authorization", `Basic ${encoded}`);
        return url;
      };
    case "header": {
      const { name, template } = checked(injection.template, injection.name);
      const lower = name.toLowerCase();
      return (token, headers, url) => {
        setPair(headers, lower, fill(template, token));
        return url;
      };
    }
    case "query": {
      const { name, template } = checked(injection.template, injection.name);
      return (token, _headers, url) => {
        const target = new URL(url);
        target.searchParams.set(name, fill(template, token));
        return target;
      };
    }
  }
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
