import { Hono } from "hono";
import { z } from "zod";
import { appName, CONNECTION_FATES, MAX_ORIGINS, webOrigin } from "../apps/app_input.ts";
import type { App } from "../apps/app_store.ts";
import { apiActor } from "../audit/actor.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { deleteAppCommand } from "../commands/delete_app.ts";
import { updateAppCommand } from "../commands/update_app.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import { parseJsonBody } from "./parse_body.ts";
import { parseQuery } from "./parse_query.ts";
import type { ApiEnv } from "./require_api_key.ts";

const ORIGIN_RULE = "not an origin; expected scheme://host[:port] like https://app.example.com";

// The CLI's origin parsing, with a message that never repeats what was sent.
const origin = z.string().max(2048, { error: "must be at most 2048 characters" }).transform(
  (value, ctx) => {
    const parsed = webOrigin.safeParse(value);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: "custom", message: ORIGIN_RULE });
    return z.NEVER;
  },
);

// Zod's own message for an unknown field would repeat its name.
const onlyFields = (fields: string) => ({
  error: (issue: { code?: string }) =>
    issue.code === "unrecognized_keys" ? `unknown field; expected ${fields}` : undefined,
});

const patchInput = z.strictObject({
  // The CLI's name rule: letters, digits, '-' and '_' only (so no control characters), at most 63.
  name: appName.optional(),
  addOrigins: z.array(origin).max(MAX_ORIGINS).optional(),
  removeOrigins: z.array(origin).max(MAX_ORIGINS).optional(),
  // Off only: the key that would gain the power is the one an agent holds, so turning API
  // approvals on is an operator's act (CLI or console), never the key's own.
  approvalsViaApi: z.literal(false, {
    error:
      "approvalsViaApi can only be turned off with the API key; an operator turns it on with `securix apps update APP --allow-api-approvals` or the admin console",
  }).optional(),
}, onlyFields("name, addOrigins, removeOrigins, approvalsViaApi")).refine(
  (b) =>
    b.name !== undefined || (b.addOrigins?.length ?? 0) > 0 ||
    (b.removeOrigins?.length ?? 0) > 0 || b.approvalsViaApi !== undefined,
  { error: "nothing to change: give name, addOrigins, removeOrigins or approvalsViaApi" },
);

// Strict: a misspelt parameter must not silently mean "revoke every connection".
const deleteQuery = z.strictObject({
  connections: z.enum(CONNECTION_FATES, { error: "expected revoke or keep" }).default("revoke"),
}, onlyFields("connections"));

function appView(a: App) {
  return {
    id: a.id,
    name: a.name,
    origins: a.origins,
    approvalsViaApi: a.approvalsViaApi,
    createdAt: new Date(a.createdAt).toISOString(),
  };
}

export interface AppRouteDeps {
  /** The serving providers: the deleted app's connections are revoked at them where they can. */
  providers: ProviderRegistry;
  /** Their after-commit hooks drop the app's cached keys (update, delete) and agents (delete). */
  commands: CommandsFor;
}

/**
 * GET/PATCH/DELETE /v1/app: the calling app itself, through the same
 * `updateApp`/`deleteApp` commands as `securix apps update`/`delete`,
 * audited with the key as the actor (`api:<keyId>`).
 */
export function appRoutes(deps: AppRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.get("/", (c) => c.json(appView(c.get("app"))));
  app.patch("/", async (c) => {
    const input = await parseJsonBody(c, patchInput);
    const appId = c.get("app").id;
    // The cached key carries the app: new origins and name apply to its next request.
    const ctx = deps.commands(apiActor(c.get("keyId")));
    const { app: updated } = await updateAppCommand(ctx, appId, input);
    return c.json(appView(updated));
  });
  app.delete("/", async (c) => {
    const { connections } = parseQuery(c, deleteQuery);
    const appId = c.get("app").id;
    // Once the keys are revoked: the app's cached key is refused from its next request.
    const ctx = deps.commands(apiActor(c.get("keyId")));
    const result = await deleteAppCommand(ctx, deps.providers, appId, { connections });
    return c.json({
      id: result.app.id,
      name: result.app.name,
      deleted: true,
      keysRevoked: result.keysRevoked,
      agentsRemoved: result.agentsRemoved,
      webhooksRemoved: result.webhooksRemoved,
      sessionsFailed: result.sessionsFailed,
      connections: {
        revoked: result.connectionsRevoked,
        providerConfirmed: result.providerConfirmed,
        kept: result.connectionsKept,
      },
    });
  });
  return app;
}
