/**
 * Test-only helpers for this folder's tests (nothing in the appliance imports
 * this file): providers resolved through the real config schema, and a
 * scripted fetch that records what was sent.
 */
import type { SecretSources } from "../config/secret_ref.ts";
import { providersSchema } from "./provider_config.ts";
import { type ResolvedProviders, resolveProviders } from "./resolve_providers.ts";

export const TEST_SOURCES: SecretSources = {
  env: (name) => ({ TEST_SECRET: "s3cret-from-env" } as Record<string, string>)[name],
  readFile: () => Promise.reject(new Deno.errors.NotFound()),
  baseDir: "/",
};

/** Parses `[providers]` tables exactly as securix.toml would be parsed. */
export async function parseProviders(tables: Record<string, unknown>) {
  return await providersSchema(TEST_SOURCES).parseAsync(tables);
}

export async function resolveTables(
  tables: Record<string, unknown>,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<ResolvedProviders> {
  return await resolveProviders(await parseProviders(tables), options);
}

/** One enabled provider, resolved from a single table. */
export async function resolveOne(name: string, table: Record<string, unknown>) {
  const providers = await resolveTables({ [name]: table });
  const provider = providers.enabled.get(name);
  if (!provider) throw new Error(`${name} did not resolve`);
  return provider;
}

export interface SentRequest {
  url: string;
  method: string;
  headers: Headers;
  body: string;
  redirect: RequestRedirect | undefined;
  signal: AbortSignal | null;
}

type Reply = Response | ((request: SentRequest) => Response | Promise<Response>);

/** A fetch that answers from a script, in order, and records every request. */
export function scriptedFetch(...replies: Reply[]): typeof fetch & { sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const fake = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const request: SentRequest = {
      url: String(input),
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: init.body === undefined || init.body === null ? "" : String(init.body),
      redirect: init.redirect,
      signal: init.signal ?? null,
    };
    sent.push(request);
    const reply = replies.shift();
    if (!reply) throw new Error(`Unexpected request to ${request.url}`);
    return typeof reply === "function" ? await reply(request) : reply;
  };
  return Object.assign(fake, { sent });
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
