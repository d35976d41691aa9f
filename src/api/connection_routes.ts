import { Hono } from "hono";
import { apiActor } from "../audit/actor.ts";
import { getConnection, listConnections } from "../connections/connection_store.ts";
import type { Connection } from "../connections/connection_types.ts";
import { revokeConnection, type RevokeDeps } from "../connections/revoke_connection.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { ApiEnv } from "./require_api_key.ts";

export function connectionView(c: Connection) {
  return {
    id: c.id,
    entityId: c.entityId,
    provider: c.provider,
    status: c.status,
    scopes: c.scopes,
    account: c.account,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

/** GET /v1/connections?entityId=…, GET/DELETE /v1/connections/{id} */
export function connectionRoutes(deps: RevokeDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const own = async (appId: string, id: string) => {
    const connection = await getConnection(deps.database.db, id);
    if (!connection || connection.appId !== appId || connection.status === "revoked") {
      throw new SecurixError("SX-CONNECTION-NOT-FOUND", "No such connection", { status: 404 });
    }
    return connection;
  };
  app.get("/", async (c) => {
    const entityId = c.req.query("entityId") || undefined;
    const rows = await listConnections(deps.database.db, { appId: c.get("app").id, entityId });
    return c.json({ connections: rows.map(connectionView) });
  });
  app.get(
    "/:id",
    async (c) => c.json(connectionView(await own(c.get("app").id, c.req.param("id")))),
  );
  app.delete("/:id", async (c) => {
    const connection = await own(c.get("app").id, c.req.param("id"));
    await revokeConnection(deps, connection, { by: apiActor(c.get("keyId")) });
    return c.body(null, 204);
  });
  return app;
}
