import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { createApp } from "../src/apps/app_store.ts";
import { DeliveryWorker } from "../src/webhooks/delivery_worker.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { enqueueEvent } from "../src/webhooks/outbox.ts";
import { freePort } from "./helpers/process.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("webhooks: a receiver that is down at first gets every event, in order, verifiable", async () => {
  let clock = Date.now();
  const { appliance, cleanup } = await openTempAppliance({ now: () => clock });
  const port = freePort();
  const received: { id: string; body: string; headers: Headers }[] = [];
  let receiver: Deno.HttpServer | null = null;
  try {
    const { database, vault } = appliance;
    const app = await createApp(database.db, { name: "hooks", origins: [] }, { now: () => clock });
    const { secret } = await addEndpoint(
      { db: database.db, vault, now: () => clock },
      app.id,
      `http://127.0.0.1:${port}/hook`,
      ["*"],
    );
    for (const type of ["connection.created", "connection.paused", "connection.revoked"] as const) {
      await database.transaction((tx) =>
        enqueueEvent(tx, {
          appId: app.id,
          type,
          data: { connectionId: "con_1" },
          orderingKey: "con_1",
        }, clock)
      );
      clock += 1;
    }
    const worker = new DeliveryWorker({
      database,
      vault,
      now: () => clock,
      allowPrivateTargets: true,
      resolve: () => Promise.resolve([]),
      retryDelaysMs: [1_000, 1_000, 1_000],
      random: () => 0.5,
      timeoutMs: 2_000,
      log: () => {},
    });
    // Receiver down: the first event fails, the later ones wait behind it.
    assert.equal(await worker.tick(), 1);
    assert.equal(received.length, 0);
    receiver = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
      received.push({
        id: req.headers.get("webhook-id")!,
        body: await req.text(),
        headers: req.headers,
      });
      return new Response(null, { status: 204 });
    });
    assert.equal(await worker.tick(), 0, "not due before the backoff");
    clock += 1_500;
    for (let i = 0; i < 5 && received.length < 3; i++) await worker.tick();
    assert.deepEqual(
      received.map((r) => JSON.parse(r.body).type),
      ["connection.created", "connection.paused", "connection.revoked"],
    );
    const verifier = new Webhook(secret);
    for (const r of received) {
      const headers = Object.fromEntries(r.headers);
      const t = Number(headers["webhook-timestamp"]);
      // standardwebhooks checks the timestamp against the real clock; ours is injected.
      assert.ok(Math.abs(t - Math.floor(clock / 1000)) < 5);
      verifier.verify(r.body, { ...headers, "webhook-timestamp": headers["webhook-timestamp"] });
      assert.throws(() => verifier.verify(r.body.replace("con_1", "con_2"), headers));
      assert.throws(() => verifier.verify(r.body, { ...headers, "webhook-id": "msg_other" }));
    }
    assert.equal(await worker.queueDepth(), 0);
    const rows = await database.client.execute(
      "SELECT status, attempts FROM webhook_deliveries ORDER BY created_at",
    );
    assert.deepEqual(rows.rows.map((r) => [r.status, r.attempts]), [["delivered", 2], [
      "delivered",
      1,
    ], ["delivered", 1]]);
  } finally {
    await receiver?.shutdown();
    await cleanup();
  }
});
