import { Hono } from "hono";
import { z } from "zod";
import { apiActor } from "../audit/actor.ts";
import type { Database } from "../db/client.ts";
import type { VaultStore } from "../vault/store.ts";
import { listDeliveries, redeliver } from "../webhooks/delivery_store.ts";
import {
  addEndpoint,
  eventsInput,
  listEndpoints,
  removeEndpoint,
  rotateEndpointSecret,
  type WebhookEndpoint,
} from "../webhooks/endpoint_store.ts";
import { queueTestEvent } from "../webhooks/test_event.ts";
import { checkWebhookTarget, type Resolver } from "../webhooks/target_policy.ts";
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
  vault: VaultStore;
  now: () => number;
  allowPrivateTargets: boolean;
  resolve: Resolver;
}

/** /v1/webhooks: the calling app's endpoints, deliveries, redelivery and test events. */
export function webhookRoutes(deps: WebhookRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const store = { db: deps.database.db, vault: deps.vault, now: deps.now };
  app.get(
    "/",
    async (c) =>
      c.json({ endpoints: (await listEndpoints(store.db, c.get("app").id)).map(endpointView) }),
  );
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, addInput);
    await checkWebhookTarget(input.url, {
      allowPrivate: deps.allowPrivateTargets,
      resolve: deps.resolve,
    });
    const appId = c.get("app").id;
    const by = apiActor(c.get("keyId"));
    const { endpoint, secret } = await addEndpoint(store, appId, input.url, input.events, by);
    return c.json({ ...endpointView(endpoint), secret }, 201);
  });
  app.delete("/:id", async (c) => {
    const by = apiActor(c.get("keyId"));
    await removeEndpoint(store, c.req.param("id"), c.get("app").id, by);
    return c.body(null, 204);
  });
  app.post("/:id/rotate-secret", async (c) => {
    const input = await parseJsonBody(c, rotateInput);
    const rotated = await rotateEndpointSecret(
      store,
      c.req.param("id"),
      input.graceHours * 3_600_000,
      c.get("app").id,
      apiActor(c.get("keyId")),
    );
    return c.json({
      secret: rotated.secret,
      oldValidUntil: new Date(rotated.oldValidUntil).toISOString(),
    });
  });
  app.get("/deliveries", async (c) => {
    const rows = await listDeliveries(store.db, c.get("app").id);
    return c.json({
      deliveries: rows.map((d) => ({ ...d, createdAt: new Date(d.createdAt).toISOString() })),
    });
  });
  app.post("/deliveries/:id/redeliver", async (c) => {
    const by = apiActor(c.get("keyId"));
    await redeliver(deps.database, c.req.param("id"), deps.now(), by, c.get("app").id);
    return c.body(null, 202);
  });
  app.post("/test", async (c) => {
    const by = apiActor(c.get("keyId"));
    const queued = await queueTestEvent(deps.database, c.get("app").id, by, deps.now());
    return c.json({ queued }, 202);
  });
  return app;
}
