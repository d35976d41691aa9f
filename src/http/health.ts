import { Hono } from "hono";
import type { Client } from "@libsql/client";
import { pendingMigrations } from "../db/migrate.ts";
import type { Migration } from "../db/migrations.ts";

/** /healthz says the process is up; /readyz that the database answers and is migrated. */
export function healthRoutes(deps: { client: Client; migrations: readonly Migration[] }): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      const pending = await pendingMigrations(deps.client, deps.migrations);
      if (pending.length > 0) {
        return c.json({ status: "not_ready", reason: "migrations pending", pending }, 503);
      }
      return c.json({ status: "ready" });
    } catch {
      return c.json({ status: "not_ready", reason: "database unreachable" }, 503);
    }
  });
  return app;
}
