import type { App } from "../apps/app_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { classFromMethod } from "../providers/operation.ts";
import type { CallerResolver } from "../proxy/caller_identity.ts";
import type { ProxyRoute, RouteTable } from "../proxy/proxy_route.ts";
import { evaluate } from "../rules/evaluate.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { DRIVE_TOOLS } from "./tools/drive_tools.ts";
import { genericRequestTool } from "./tools/generic_request_tool.ts";
import { GITHUB_TOOLS } from "./tools/github_tools.ts";
import { GMAIL_TOOLS } from "./tools/gmail_tools.ts";
import { SLACK_TOOLS } from "./tools/slack_tools.ts";
import type { CuratedTool } from "./tools/tool.ts";

/** The curated tools of each provider that has some. */
const CURATED: ReadonlyMap<string, readonly CuratedTool[]> = new Map(
  Object.entries(
    Object.groupBy(
      [...GMAIL_TOOLS, ...GITHUB_TOOLS, ...SLACK_TOOLS, ...DRIVE_TOOLS],
      (t) => t.provider,
    ) as Record<string, CuratedTool[]>,
  ),
);

/** A tool as one MCP URL's caller sees it. */
export type ListedTool =
  | { kind: "provider"; tool: CuratedTool; route: ProxyRoute }
  | { kind: "connect"; name: string; provider: string; displayName: string };

export interface ToolboxCaller {
  app: App;
  agentId: string;
  entityId: string;
  /** The grant's providers; null = every provider the appliance proxies. */
  providers: readonly string[] | null;
}

export interface ToolboxDeps {
  routes: RouteTable;
  callers: CallerResolver;
  rules: () => RuleSet;
  /** A provider's name as people know it (`Gmail`). */
  displayName: (provider: string) => string;
}

/**
 * The tools of one caller, in a stable order: for each provider of the grant
 * the entity has connected, its curated tools (but those every call of which
 * a rule denies) and `<provider>_request`; for each it has not, `connect_<provider>`.
 */
export async function toolsFor(deps: ToolboxDeps, caller: ToolboxCaller): Promise<ListedTool[]> {
  const set = deps.rules();
  const names = caller.providers ??
    [...new Set([...deps.routes.values()].map((r) => r.provider))].sort();
  const out: ListedTool[] = [];
  for (const provider of names) {
    const route = deps.routes.get(provider);
    if (!route) continue;
    const displayName = deps.displayName(provider);
    if (!await connected(deps, caller, provider)) {
      out.push({ kind: "connect", name: `connect_${provider}`, provider, displayName });
      continue;
    }
    for (const tool of CURATED.get(provider) ?? []) {
      if (!alwaysDenied(set, route, caller, tool)) out.push({ kind: "provider", tool, route });
    }
    out.push({
      kind: "provider",
      tool: genericRequestTool(provider, displayName, route.baseUrl.origin),
      route,
    });
  }
  return out;
}

/** Connected enough to call: paused connections too (their calls say they are paused). */
async function connected(
  deps: ToolboxDeps,
  caller: ToolboxCaller,
  provider: string,
): Promise<boolean> {
  try {
    await deps.callers.usable(caller.app, caller.entityId, provider);
    return true;
  } catch (error) {
    if (!(error instanceof SecurixError)) throw error;
    return error.code !== "SX-NOT-CONNECTED" && error.code !== "SX-TOKEN-EXPIRED";
  }
}

/**
 * Whether a rule refuses every call of the tool's operation for this caller:
 * a disabled scope, or an unconditional deny (a deny on a path pattern only
 * refuses some calls, so the tool stays).
 */
function alwaysDenied(
  set: RuleSet,
  route: ProxyRoute,
  caller: ToolboxCaller,
  tool: CuratedTool,
): boolean {
  const shape = { method: tool.probe.method, path: tool.probe.path, query: "" };
  const operation = route.operations?.resolve(shape) ??
    { id: `${route.provider}.unknown`, class: classFromMethod(shape.method) };
  const ev = evaluate(set, {
    appName: caller.app.name,
    agentId: caller.agentId,
    entityId: caller.entityId,
    provider: route.provider,
    family: route.family ?? route.provider,
    operation,
    method: shape.method,
    path: shape.path,
  });
  return ev.scopeDisabled !== null || (ev.deny !== null && ev.deny.path === null);
}
