import type { Command } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { revokeMcpUrlCommand } from "../commands/revoke_mcp_url.ts";
import { listGrants } from "../mcp/mcp_grant_store.ts";
import type { CliContext } from "./context.ts";
import { isoTime } from "./io.ts";
import { printList } from "./list_output.ts";

export function registerMcp(program: Command, context: CliContext): void {
  const mcp = program.command("mcp").description(
    "manage MCP URLs (Securix.mcp.getUrl): list them, revoke one",
  );
  mcp.command("list")
    .description("list MCP URLs (never the URL itself: it is shown once, to the app)")
    .option("--app <app>", "only this app's (name or id)")
    .option("--json", "print JSON")
    .action(async (options: { app?: string; json?: boolean }) => {
      await context.withAppliance(async ({ database, now }) => {
        const app = options.app ? await requireApp(database.db, options.app) : null;
        const at = now();
        const rows = (await listGrants(database.db, app?.id)).map((g) => ({
          id: g.id,
          appId: g.appId,
          entityId: g.entityId,
          agentId: g.agentId,
          providers: g.providers?.join(",") ?? "all",
          state: g.revokedAt !== null ? "revoked" : g.expiresAt <= at ? "expired" : "active",
          createdAt: isoTime(g.createdAt),
          expiresAt: isoTime(g.expiresAt),
        }));
        printList(context.io, options.json, {
          rows,
          columns: ["id", "appId", "entityId", "agentId", "providers", "state", "expiresAt"],
          empty: "No MCP URLs",
        });
      });
    });
  mcp.command("revoke <id>")
    .description("revoke the MCP URL ID: its next request is refused")
    .action(async (id: string) => {
      await context.withAppliance(async (appliance) => {
        const { changed } = await revokeMcpUrlCommand(context.commands(appliance), id);
        context.io.out(changed ? `Revoked MCP URL ${id}` : `MCP URL ${id} was already revoked`);
      });
    });
}
