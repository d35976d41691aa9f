import { Hono } from "hono";
import { apiActor } from "../audit/actor.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { eraseEntityCommand } from "../commands/erase_entity.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { ENTITY_ID, textProblem } from "../identifiers/identifier.ts";
import type { ApiEnv } from "./require_api_key.ts";

/**
 * DELETE /v1/entities/{entityId}: a data-protection erasure of one of the
 * app's end users (backend keys only: key_role_guard.ts lists no route here
 * for agent keys). 200 with what was removed; 404 SX-ENTITY-NOT-FOUND when
 * the app holds nothing for the entity, a second erasure included.
 */
export function entityRoutes(
  deps: { providers: ProviderRegistry; commands: CommandsFor },
): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.delete("/:entityId", async (c) => {
    const entityId = c.req.param("entityId");
    const problem = textProblem(entityId, ENTITY_ID);
    if (problem) {
      throw new SecurixError("SX-INVALID-INPUT", `entityId: ${problem}`, { status: 400 });
    }
    const ctx = deps.commands(apiActor(c.get("keyId")));
    const result = await eraseEntityCommand(ctx, deps.providers, {
      appId: c.get("app").id,
      entityId,
    });
    return c.json({ entityId, erased: true, ...result });
  });
  return app;
}
