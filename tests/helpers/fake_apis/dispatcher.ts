/**
 * The part every fake provider API shares: route a request to the fake whose
 * paths it carries, check its token the way that provider does, record it,
 * and optionally compress the answer as Google's and GitHub's front ends do.
 * The fakes themselves only turn a call into the provider's answer.
 */

/** Named as the appliance's catalog names them, so `[providers.<name>]` maps one to one. */
export type FakeProviderName = "gmail" | "drive" | "github" | "slack" | "microsoft";

export const FAKE_PROVIDER_NAMES: readonly FakeProviderName[] = [
  "gmail",
  "drive",
  "github",
  "slack",
  "microsoft",
];

/** One request as a fake handles it; the body is read once, up front. */
export interface FakeCall {
  method: string;
  url: URL;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Uint8Array;
}

export interface FakeProvider {
  name: FakeProviderName;
  serves(path: string): boolean;
  /** The token the call carries where this provider looks for it; null when it carries none. */
  tokenOf(call: FakeCall): string | null;
  /** The provider's own answer to a missing (`sent` null) or wrong token. */
  unauthorized(call: FakeCall, sent: string | null): Response;
  handle(call: FakeCall): Response | Promise<Response>;
}

/** One request as it reached the fakes, with the status it got. */
export interface SeenRequest {
  /** null when no fake serves the path. */
  provider: FakeProviderName | null;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Uint8Array;
  status: number;
  /** The answer went back gzip-compressed. */
  gzip: boolean;
}

/** The accepted token: one for all fakes, or asked per provider (null: nothing is accepted). */
export type TokenCheck =
  | string
  | ((provider: FakeProviderName) => string | null | Promise<string | null>);

/** Lets a test answer a call itself (after the token check); undefined leaves it to the fake. */
export type Intercept = (
  call: FakeCall,
  provider: FakeProviderName,
) => Response | undefined | Promise<Response | undefined>;

/** What a test can change while the fakes run. */
export interface FakeControl {
  seen: SeenRequest[];
  /** true: gzip when the request accepts it; "always": even when it does not. */
  gzip: boolean | "always";
  intercept?: Intercept;
}

/** `Authorization: Bearer X` (scheme case-insensitive), else null. */
export function bearerToken(headers: Headers): string | null {
  const match = /^bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return match ? match[1] : null;
}

export function bodyText(call: { body: Uint8Array }): string {
  return new TextDecoder().decode(call.body);
}

/** The body as JSON, or undefined when it is not JSON. */
export function bodyJson(call: { body: Uint8Array }): unknown {
  try {
    return JSON.parse(bodyText(call));
  } catch {
    return undefined;
  }
}

function acceptsGzip(headers: Headers): boolean {
  return /\bgzip\b/i.test(headers.get("accept-encoding") ?? "");
}

async function gzipped(response: Response): Promise<Response> {
  const body = response.body!.pipeThrough(new CompressionStream("gzip"));
  const bytes = new Uint8Array(await new Response(body).arrayBuffer());
  const headers = new Headers(response.headers);
  headers.set("content-encoding", "gzip");
  headers.set("content-length", String(bytes.length));
  headers.append("vary", "Accept-Encoding");
  return new Response(bytes, { status: response.status, headers });
}

async function expectedToken(check: TokenCheck, provider: FakeProviderName) {
  return typeof check === "string" ? check : await check(provider);
}

function noFake(path: string): Response {
  return Response.json({ error: `no fake provider API serves ${path}` }, { status: 404 });
}

/** A `Deno.serve` handler over `providers`, recording into and steered by `control`. */
export function dispatcher(
  providers: readonly FakeProvider[],
  control: FakeControl,
  token: TokenCheck | undefined,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const call: FakeCall = {
      method: req.method,
      url,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: new Uint8Array(await req.arrayBuffer()),
    };
    const provider = providers.find((p) => p.serves(call.path)) ?? null;
    let response = provider ? await answer(provider, call) : noFake(call.path);
    const compress = control.gzip === "always" || (control.gzip && acceptsGzip(req.headers));
    // An answer that already carries a coding (an intercept's) is sent as it is.
    const gzip = Boolean(
      compress && response.body && response.status !== 204 &&
        !response.headers.has("content-encoding"),
    );
    if (gzip) response = await gzipped(response);
    control.seen.push({
      provider: provider?.name ?? null,
      method: call.method,
      path: call.path,
      query: call.query,
      headers: call.headers,
      body: call.body,
      status: response.status,
      gzip,
    });
    return response;
  };

  async function answer(provider: FakeProvider, call: FakeCall): Promise<Response> {
    if (token !== undefined) {
      const expected = await expectedToken(token, provider.name);
      const sent = provider.tokenOf(call);
      if (sent === null || expected === null || sent !== expected) {
        return provider.unauthorized(call, sent);
      }
    }
    const scripted = await control.intercept?.(call, provider.name);
    return scripted ?? await provider.handle(call);
  }
}
