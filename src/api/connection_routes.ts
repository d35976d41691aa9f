import { entityIdSchema } from "../identifiers/identifier.ts";
import { Hono } from "hono";
import { z } from "zod";
import { apiActor } from "../audit/actor.ts";
import { getConnection, listConnectionsPage } from "../connections/connection_store.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { type Connection, CONNECTION_STATUSES } from "../connections/connection_types.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { revokeConnectionCommand } from "../commands/revoke_connection.ts";
import { setConnectionPausedCommand } from "../commands/set_connection_paused.ts";
import type { Database } from "../db/client.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { parseQuery } from "./parse_query.ts";
import type { ApiEnv } from "./require_api_key.ts";

export function connectionView(c: Connection) {
  return {
    id: c.id,
    entityId: c.entityId,
    provider: c.provider,
    status: c.status,
    scopes: c.scopes,
    account: c.account,
    // false: the token expires without a refresh token; the user must consent again by then.
    refreshable: c.refreshable ?? null,
    expiresAt: c.credentialExpiresAt === null
      ? null
      : new Date(c.credentialExpiresAt).toISOString(),
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

// Revoked connections are gone as far as apps are concerned.
const LISTED_STATUSES = CONNECTION_STATUSES.filter((s) => s !== "revoked");

const listQuery = z.object({
  entityId: entityIdSchema.optional(),
  provider: z.string().min(1).max(64).optional(),
  status: z.enum(LISTED_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(200).optional(),
});

/**
 * GET /v1/connections?entityId&provider&status&limit&cursor (pages of up to
 * 500, `nextCursor` until the last), GET/DELETE /v1/connections/{id},
 * POST /v1/connections/{id}/pause and /resume (the proxy answers SX-PAUSED
 * meanwhile; the same command as the CLI, console and portal)
 */
export function connectionRoutes(
  deps: { database: Database; providers: ProviderRegistry; commands: CommandsFor },
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const own = async (appId: string, id: string) => {
    const connection = await getConnection(deps.database.db, id);
    if (!connection || connection.appId !== appId || connection.status === "revoked") {
      throw new SecurixError("SX-CONNECTION-NOT-FOUND", "No such connection", { status: 404 });
    }
    return connection;
  };
  app.get("/", async (c) => {
    const q = parseQuery(c, listQuery);
    const page = await listConnectionsPage(deps.database.db, {
      appId: c.get("app").id,
      entityId: q.entityId,
      provider: q.provider,
      status: q.status,
    }, { limit: q.limit, after: q.cursor ? decodeCursor(q.cursor) : null });
    return c.json({
      connections: page.connections.map(connectionView),
      nextCursor: page.next ? encodeCursor(page.next) : null,
    });
  });
  app.get(
    "/:id",
    async (c) => c.json(connectionView(await own(c.get("app").id, c.req.param("id")))),
  );
  app.delete("/:id", async (c) => {
    const connection = await own(c.get("app").id, c.req.param("id"));
    const ctx = deps.commands(apiActor(c.get("keyId")));
    await revokeConnectionCommand(ctx, deps.providers, connection);
    return c.body(null, 204);
  });
  for (const [action, paused] of [["pause", true], ["resume", false]] as const) {
    app.post(`/:id/${action}`, async (c) => {
      const connection = await own(c.get("app").id, c.req.param("id"));
      const ctx = deps.commands(apiActor(c.get("keyId")));
      await setConnectionPausedCommand(ctx, connection, paused);
      return c.json(connectionView(await own(c.get("app").id, connection.id)));
    });
  }
  return app;
}
