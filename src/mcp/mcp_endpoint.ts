import type { CallToolRequest } from "@modelcontextprotocol/sdk/types.js";
import { VERSION } from "../cli/version.ts";
import type { Db } from "../db/client.ts";
import { errorResponse } from "../errors/error_response.ts";
import { logSafeError } from "../errors/log_safe.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { createSession, createSessionInput } from "../flows/create_session.ts";
import type { FlowDeps } from "../flows/flow_deps.ts";
import type { ProxyDeps } from "../proxy/proxy_handler.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import {
  isolateRequestIds,
  REQUEST_ID_HEADER,
  type RequestIds,
} from "../identifiers/request_id.ts";
import { mcpErrors } from "./mcp_errors.ts";
import { type GrantedCaller, resolveGrant } from "./mcp_grant_store.ts";
import { callProvider, Refused } from "./mcp_provider_call.ts";
import { refusalResult, resultOf, type ToolResult } from "./mcp_tool_result.ts";
import { type ListedTool, toolsFor } from "./mcp_toolbox.ts";
import { jsonSchemaOf, parseArguments } from "./tools/tool.ts";

export interface McpEndpointDeps {
  db: Db;
  now: () => number;
  /** The grant signing key (LABELS.mcpGrant). */
  key: Uint8Array;
  /** `[server] public_url`: the only browser origin allowed to call. */
  publicUrl: string;
  proxy: ProxyDeps;
  rules: () => RuleSet;
  flows: FlowDeps;
  log: (line: string) => void;
  /** Where request ids come from; default this isolate's source. */
  requestIds?: RequestIds;
}

/** `/mcp` and `/mcp/<grant>`: the paths this endpoint answers. */
export function isMcpPath(path: string): boolean {
  return path === "/mcp" || path.startsWith("/mcp/");
}

/**
 * The MCP SDK, loaded on the first MCP request: it takes about a second to
 * load, which no CLI command and no appliance without MCP clients should pay.
 */
let sdk: ReturnType<typeof loadSdk> | null = null;
function loadSdk() {
  return Promise.all([
    import("@modelcontextprotocol/sdk/server/index.js"),
    import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
    import("@modelcontextprotocol/sdk/types.js"),
  ]).then(([server, transport, types]) => ({
    Server: server.Server,
    Transport: transport.WebStandardStreamableHTTPServerTransport,
    ListToolsRequestSchema: types.ListToolsRequestSchema,
    CallToolRequestSchema: types.CallToolRequestSchema,
  }));
}

const INSTRUCTIONS =
  "Tools act on the user's connected accounts through Securix, under the rules the app's operator set. A tool error's text says what happened and what to tell the user; connect_<provider> tools give a link and code for the user to connect an account.";

/**
 * The MCP server (Streamable HTTP, stateless: each POST is answered on its
 * own, as JSON). The grant, from the URL path or `Authorization: Bearer`, is
 * checked in full on every request, so revoking it ends the next call.
 */
export function mcpEndpoint(deps: McpEndpointDeps) {
  const publicOrigin = new URL(deps.publicUrl).origin;
  const requestIds = deps.requestIds ?? isolateRequestIds();
  return async (req: Request, path: string, clientAddress: string): Promise<Response> => {
    const requestId = requestIds();
    const response = await answer(req, path, clientAddress, requestId);
    // The URL is a credential: nothing it answers may be kept by a cache on the way.
    response.headers.set("cache-control", "no-store");
    response.headers.set("x-content-type-options", "nosniff");
    response.headers.set(REQUEST_ID_HEADER, requestId);
    return response;
  };

  async function answer(
    req: Request,
    path: string,
    clientAddress: string,
    requestId: string,
  ): Promise<Response> {
    try {
      // DNS rebinding: a page in a browser may not drive this endpoint from another origin.
      const origin = req.headers.get("origin");
      if (origin !== null && origin !== publicOrigin) {
        throw new SecurixError("SX-MCP-ORIGIN", "Cross-origin MCP requests are refused", {
          status: 403,
        });
      }
      const caller = await resolveGrant(deps.db, presentedGrant(req, path), deps);
      if (req.method !== "POST") {
        // Stateless: no server-initiated stream to GET, no session to DELETE.
        await req.body?.cancel();
        return new Response(null, { status: 405, headers: { allow: "POST" } });
      }
      return await serve(deps, caller, req, { clientAddress, requestId });
    } catch (error) {
      await req.body?.cancel().catch(() => {});
      if (!(error instanceof SecurixError)) {
        deps.log(`mcp: ${requestId}: ${logSafeError(error)}`);
        return errorResponse(
          new SecurixError("SX-UNAVAILABLE", "Try again later", { status: 503 }),
          undefined,
          requestId,
        );
      }
      return errorResponse(
        error,
        error.status === 401 ? { "www-authenticate": 'Bearer error="invalid_token"' } : undefined,
        requestId,
      );
    }
  }
}

function presentedGrant(req: Request, path: string): string | null {
  if (path.startsWith("/mcp/")) return path.slice("/mcp/".length) || null;
  const auth = req.headers.get("authorization");
  const match = auth === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  return match ? match[1] : null;
}

async function serve(
  deps: McpEndpointDeps,
  granted: GrantedCaller,
  req: Request,
  { clientAddress, requestId }: { clientAddress: string; requestId: string },
): Promise<Response> {
  const { grant, app } = granted;
  const caller = {
    app,
    agentId: grant.agentId,
    entityId: grant.entityId,
    providers: grant.providers,
  };
  const toolbox = {
    routes: deps.proxy.routes,
    callers: deps.proxy.callers,
    rules: deps.rules,
    displayName: (p: string) => deps.flows.providers.enabled.get(p)?.displayName ?? p,
  };
  let listed: Promise<ListedTool[]> | null = null;
  const tools = () => listed ??= toolsFor(toolbox, caller);
  const { Server, Transport, ListToolsRequestSchema, CallToolRequestSchema } =
    await (sdk ??= loadSdk());
  const server = new Server(
    { name: "securix", version: VERSION },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await tools()).map(describe),
  }));
  server.setRequestHandler(
    CallToolRequestSchema,
    async (request: CallToolRequest, extra: { signal: AbortSignal }) => {
      const name = request.params.name;
      const signal = AbortSignal.any([req.signal, extra.signal]);
      try {
        const tool = (await tools()).find((t) => nameOf(t) === name);
        if (!tool) throw mcpErrors.unknownTool(name);
        if (tool.kind === "connect") return await connect(deps, granted, tool);
        const args = parseArguments(name, tool.tool.input, request.params.arguments);
        const outcome = await tool.tool.run(args, (call) =>
          callProvider(deps.proxy, tool.route, {
            app,
            agentId: grant.agentId,
            entityId: grant.entityId,
            tool: name,
            clientAddress,
            signal,
            requestId,
          }, call));
        return resultOf(outcome);
      } catch (error) {
        if (error instanceof Refused) return refusalResult(error.error);
        if (error instanceof SecurixError && error.status < 500) return refusalResult(error);
        // The name is the client's text: quoted, so it cannot forge log lines.
        deps.log(
          `mcp: ${requestId}: tool ${JSON.stringify(name.slice(0, 128))}: ${logSafeError(error)}`,
        );
        return refusalResult(
          new SecurixError("SX-UNAVAILABLE", "The tool failed", {
            status: 503,
            llmError: "The tool failed on the Securix side. Try again in a moment.",
          }),
        );
      }
    },
  );
  const transport = new Transport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(req);
  } finally {
    await server.close();
  }
}

function nameOf(tool: ListedTool): string {
  return tool.kind === "connect" ? tool.name : tool.tool.name;
}

function describe(tool: ListedTool) {
  if (tool.kind === "connect") {
    return {
      name: tool.name,
      description:
        `The user has not connected ${tool.displayName} yet. Call this to get a link and a short code the user opens and types to connect it; then list the tools again to use ${tool.displayName}.`,
      inputSchema: { type: "object" as const, properties: {}, additionalProperties: false },
    };
  }
  return {
    name: tool.tool.name,
    description: tool.tool.description,
    inputSchema: jsonSchemaOf(tool.tool.input),
  };
}

/** `connect_<provider>`: a device-flow session for the grant's entity, its link and code. */
async function connect(
  deps: McpEndpointDeps,
  granted: GrantedCaller,
  tool: Extract<ListedTool, { kind: "connect" }>,
): Promise<ToolResult> {
  const input = createSessionInput.parse({
    entityId: granted.grant.entityId,
    flow: "device",
    providers: { [tool.provider]: {} },
  });
  // The agent holding the MCP URL gets the code and could enter it itself: an agent's consent.
  const { session, authUrl, deviceCode } = await createSession(
    deps.flows,
    granted.app,
    input,
    "agent",
  );
  const value = {
    url: authUrl,
    code: deviceCode,
    expiresAt: new Date(session.expiresAt).toISOString(),
    tellTheUser:
      `To connect ${tool.displayName}, open ${authUrl} and enter the code ${deviceCode}. When you are done, tell me and I will continue.`,
  };
  return { content: [{ type: "text", text: JSON.stringify(value) }] };
}
