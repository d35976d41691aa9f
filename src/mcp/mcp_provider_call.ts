import type { App } from "../apps/app_store.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import { handleProxy, type ProxyDeps } from "../proxy/proxy_handler.ts";
import type { ProxyRoute } from "../proxy/proxy_route.ts";
import type { CallAnswer, ToolRequest } from "./tools/tool.ts";
import { joinBytes } from "../proxy/join_bytes.ts";

/** The most of a provider's answer a tool reads; the rest is dropped (the result is capped anyway). */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** A tool call's refusal by the pipeline (rules, limits, approvals, connection state…). */
export class Refused extends Error {
  constructor(readonly error: SecurixError) {
    super(error.message);
  }
}

export interface ToolCaller {
  app: App;
  agentId: string;
  entityId: string;
  tool: string;
  /** The MCP request's client address, as the edge counts it. */
  clientAddress: string;
  signal: AbortSignal;
  /** The MCP request's id: each provider call's audit record names it. */
  requestId?: string;
}

/**
 * One provider call of a tool, through the proxy pipeline exactly as a
 * proxied request goes (rules, redaction, limits, anomaly blocks, approvals,
 * credential, refresh, audit), with the grant's caller: no securix-* header
 * is made up. A refusal throws `Refused` with the pipeline's typed error.
 */
export async function callProvider(
  deps: ProxyDeps,
  route: ProxyRoute,
  caller: ToolCaller,
  request: ToolRequest,
): Promise<CallAnswer> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
  }
  const query = search.size > 0 ? `?${search}` : "";
  // Only the target's path and query are read; the origin is never contacted.
  const url = new URL(`http://mcp.invalid${request.path}${query}`);
  const headers = new Headers({ accept: "application/json" });
  let body: Uint8Array | null = null;
  if (request.body !== undefined) {
    body = new TextEncoder().encode(JSON.stringify(request.body));
    headers.set("content-type", "application/json; charset=utf-8");
    headers.set("content-length", String(body.byteLength));
  }
  const req = new Request(url, {
    method: request.method,
    headers,
    body: body as BodyInit | null,
    signal: caller.signal,
  });
  let refusal: SecurixError | null = null;
  const response = await handleProxy(
    deps,
    req,
    { route, path: request.path, url },
    caller.clientAddress,
    {
      app: caller.app,
      agentId: caller.agentId,
      entityId: caller.entityId,
      via: "mcp",
      tool: caller.tool,
      onRefused: (error) => refusal = error,
      requestId: caller.requestId,
    },
  );
  if (refusal) {
    await response.body?.cancel();
    throw new Refused(refusal);
  }
  const text = await readCapped(response);
  const type = response.headers.get("content-type") ?? "";
  if (text.cut || !/json/i.test(type)) {
    return { status: response.status, json: undefined, text: text.text };
  }
  try {
    return {
      status: response.status,
      json: text.text === "" ? null : JSON.parse(text.text),
      text: null,
    };
  } catch {
    return { status: response.status, json: undefined, text: text.text };
  }
}

async function readCapped(response: Response): Promise<{ text: string; cut: boolean }> {
  if (response.body === null) return { text: "", cut: false };
  // The proxy passes a provider's encoding through; a provider may compress unasked.
  const encoding = response.headers.get("content-encoding")?.trim().toLowerCase() ?? "";
  const body = encoding === "gzip" || encoding === "deflate"
    ? response.body.pipeThrough(new DecompressionStream(encoding))
    : response.body;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > MAX_ANSWER_BYTES) {
        await reader.cancel();
        break;
      }
    }
  } finally {
    reader.releaseLock();
  }
  const all = joinBytes(chunks).subarray(0, MAX_ANSWER_BYTES);
  return { text: new TextDecoder().decode(all), cut: size > MAX_ANSWER_BYTES };
}
