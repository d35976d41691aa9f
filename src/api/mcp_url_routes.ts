import { Hono } from "hono";
import { apiActor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Database } from "../db/client.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { flowErrors } from "../flows/flow_errors.ts";
import {
  createGrant,
  createGrantInput,
  listGrants,
  type McpGrant,
} from "../mcp/mcp_grant_store.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { revokeMcpUrlCommand } from "../commands/revoke_mcp_url.ts";
import { mcpUrl } from "../mcp/mcp_url.ts";
import type { ApiEnv } from "./require_api_key.ts";
import { parseJsonBody } from "./parse_body.ts";

export interface McpUrlRouteDeps {
  database: Database;
  now: () => number;
  publicUrl: string;
  providers: ProviderRegistry;
  /** The grant signing key (LABELS.mcpGrant). */
  key: Uint8Array;
  random?: (bytes: Uint8Array) => Uint8Array;
  /** Revoking goes through the command layer, as the console and the CLI do. */
  commands: CommandsFor;
}

function grantView(g: McpGrant) {
  return {
    id: g.id,
    entityId: g.entityId,
    agentId: g.agentId,
    providers: g.providers,
    createdAt: new Date(g.createdAt).toISOString(),
    expiresAt: new Date(g.expiresAt).toISOString(),
    revokedAt: g.revokedAt === null ? null : new Date(g.revokedAt).toISOString(),
  };
}

/**
 * POST/GET /v1/mcp/urls, DELETE /v1/mcp/urls/{id}: the app's MCP URLs
 * (`Securix.mcp.getUrl`). The URL is in the creation answer only.
 */
export function mcpUrlRoutes(deps: McpUrlRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, createGrantInput);
    for (const name of input.providers ?? []) {
      if (!deps.providers.enabled.has(name)) {
        throw deps.providers.known.has(name)
          ? flowErrors.providerDisabled(name)
          : flowErrors.unknownProvider(name);
      }
    }
    const appId = c.get("app").id;
    const { grant, secret } = await deps.database.transaction(async (tx) => {
      const made = await createGrant(tx, c.get("app"), input, {
        now: deps.now,
        key: deps.key,
        random: deps.random,
      });
      await recordAdminEvent(tx, {
        kind: "admin.mcp_url.created",
        by: apiActor(c.get("keyId")),
        appId,
        agentId: made.grant.agentId,
        data: {
          grantId: made.grant.id,
          entityId: made.grant.entityId,
          providers: made.grant.providers,
          expiresAt: made.grant.expiresAt,
        },
      }, deps.now());
      return made;
    });
    return c.json({ ...grantView(grant), url: mcpUrl(deps.publicUrl, secret) }, 201);
  });
  app.get("/", async (c) => {
    const grants = await listGrants(deps.database.db, c.get("app").id);
    return c.json({ urls: grants.map(grantView) });
  });
  app.delete("/:id", async (c) => {
    const appId = c.get("app").id;
    await revokeMcpUrlCommand(deps.commands(apiActor(c.get("keyId"))), c.req.param("id"), {
      appId,
    });
    return c.body(null, 204);
  });
  return app;
}
