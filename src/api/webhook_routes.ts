import { Hono } from "hono";
import { z } from "zod";
import { apiActor } from "../audit/actor.ts";
import { addWebhookCommand } from "../commands/add_webhook.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import { redeliverWebhookCommand } from "../commands/redeliver_webhook.ts";
import { removeWebhookCommand } from "../commands/remove_webhook.ts";
import { rotateWebhookSecretCommand } from "../commands/rotate_webhook_secret.ts";
import { sendTestWebhookCommand } from "../commands/send_test_webhook.ts";
import type { Database } from "../db/client.ts";
import { listDeliveries } from "../webhooks/delivery_store.ts";
import { eventsInput, listEndpoints, type WebhookEndpoint } from "../webhooks/endpoint_store.ts";
import type { Resolver } from "../webhooks/target_policy.ts";
import { parseJsonBody } from "./parse_body.ts";
import type { ApiEnv } from "./require_api_key.ts";

const addInput = z.strictObject({ url: z.string().max(2048), events: eventsInput });
const rotateInput = z.strictObject({ graceHours: z.number().min(0).max(24 * 14).default(24) });

function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    url: e.url,
    events: e.events,
    createdAt: new Date(e.createdAt).toISOString(),
    rotatingUntil: e.rotatingUntil ? new Date(e.rotatingUntil).toISOString() : null,
  };
}

export interface WebhookRouteDeps {
  database: Database;
  commands: CommandsFor;
  allowPrivateTargets: boolean;
  resolve: Resolver;
}

/** /v1/webhooks: the calling app's endpoints, deliveries, redelivery and test events. */
export function webhookRoutes(deps: WebhookRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const store = { db: deps.database.db };
  const policy = { allowPrivate: deps.allowPrivateTargets, resolve: deps.resolve };
  app.get(
    "/",
    async (c) =>
      c.json({ endpoints: (await listEndpoints(store.db, c.get("app").id)).map(endpointView) }),
  );
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, addInput);
    const ctx = deps.commands(apiActor(c.get("keyId")));
    const { endpoint, secret } = await addWebhookCommand(ctx, policy, c.get("app").id, input);
    return c.json({ ...endpointView(endpoint), secret }, 201);
  });
  app.delete("/:id", async (c) => {
    const ctx = deps.commands(apiActor(c.get("keyId")));
    await removeWebhookCommand(ctx, c.req.param("id"), c.get("app").id);
    return c.body(null, 204);
  });
  app.post("/:id/rotate-secret", async (c) => {
    const input = await parseJsonBody(c, rotateInput);
    const rotated = await rotateWebhookSecretCommand(
      deps.commands(apiActor(c.get("keyId"))),
      c.req.param("id"),
      input.graceHours * 3_600_000,
      c.get("app").id,
    );
    return c.json({
      secret: rotated.secret,
      oldValidUntil: new Date(rotated.oldValidUntil).toISOString(),
      rotatingUntil: rotated.rotatingUntil ? new Date(rotated.rotatingUntil).toISOString() : null,
    });
  });
  app.get("/deliveries", async (c) => {
    const rows = await listDeliveries(store.db, c.get("app").id);
    return c.json({
      deliveries: rows.map((d) => ({ ...d, createdAt: new Date(d.createdAt).toISOString() })),
    });
  });
  app.post("/deliveries/:id/redeliver", async (c) => {
    const ctx = deps.commands(apiActor(c.get("keyId")));
    await redeliverWebhookCommand(ctx, c.req.param("id"), c.get("app").id);
    return c.body(null, 202);
  });
  app.post("/test", async (c) => {
    const ctx = deps.commands(apiActor(c.get("keyId")));
    const queued = await sendTestWebhookCommand(ctx, c.get("app").id);
    return c.json({ queued }, 202);
  });
  return app;
}
