import { Hono } from "hono";
import type { Client } from "@libsql/client";
import { pendingMigrations } from "../db/migrate.ts";
import type { Migration } from "../db/migrations.ts";
import { type FileIdentity, fileReplacedReason } from "../db/database_file.ts";

/**
 * /healthz says the process is up; /readyz that the database answers, is
 * migrated, and is still the file at the configured path: a process that
 * keeps writing to a deleted or swapped file loses everything it writes.
 */
export function healthRoutes(
  deps: { client: Client; migrations: readonly Migration[]; file: FileIdentity | null },
): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      const replaced = deps.file ? await fileReplacedReason(deps.file) : null;
      if (replaced) return c.json({ status: "not_ready", reason: replaced }, 503);
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
