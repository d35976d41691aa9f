import { encodeBase64 } from "@oslojs/encoding";
import type { CredentialInjection } from "./provider_definition.ts";

/** Puts a credential on an outgoing upstream request. */
export type Injector = (credential: { accessToken: string }, headers: Headers, url: URL) => void;

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
  const defaults = Object.entries(defaultHeaders);
  return (credential, headers, url) => {
    put(credential.accessToken, headers, url);
    for (const [name, value] of defaults) {
      if (!headers.has(name)) headers.set(name, value);
    }
  };
}

function placer(injection: CredentialInjection): (token: string, h: Headers, u: URL) => void {
  switch (injection.kind) {
    case "bearer":
      return (token, headers) => headers.set("authorization", `Bearer ${token}`);
    case "basic":
      return (token, headers) =>
        headers.set("authorization", `Basic ${encodeBase64(new TextEncoder().encode(token))}`);
    case "header": {
      const { name, template } = checked(injection.template, injection.name);
      return (token, headers) => headers.set(name, fill(template, token));
    }
    case "query": {
      const { name, template } = checked(injection.template, injection.name);
      return (token, _headers, url) => url.searchParams.set(name, fill(template, token));
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
