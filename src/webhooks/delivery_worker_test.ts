import assert from "node:assert/strict";
import { createApp } from "../apps/app_store.ts";
import type { Database } from "../db/client.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import {
  DeliveryWorker,
  type DeliveryWorkerOptions,
  PRIVATE_TARGET_FAILED,
} from "./delivery_worker.ts";
import { addEndpoint, rotateEndpointSecret } from "./endpoint_store.ts";
import { listDeliveries } from "./delivery_store.ts";
import { enqueueEvent } from "./outbox.ts";
import type { WebhookSender } from "./pinned_post.ts";
import { verifyWebhook, WebhookVerificationError } from "./signature.ts";
import { TARGET_REFUSED_MESSAGE } from "./target_policy.ts";

interface Sent {
  id: string;
  url: string;
}

/** A temp appliance with one app and `endpoints` webhook endpoints on fake hosts. */
async function setup(clock: { t: number }, endpoints: string[]) {
  const temp = await openTempAppliance({ now: () => clock.t });
  const { database, vault } = temp.appliance;
  const app = await createApp(database.db, { name: "hooks", origins: [] }, {
    now: () => clock.t,
  });
  const ids: string[] = [];
  for (const url of endpoints) {
    const { endpoint } = await addEndpoint(
      { db: database.db, vault, now: () => clock.t },
      app.id,
      url,
      ["*"],
    );
    ids.push(endpoint.id);
  }
  const enqueue = async (orderingKey: string) => {
    await database.transaction((tx) =>
      enqueueEvent(tx, {
        appId: app.id,
        type: "connection.paused",
        data: { connectionId: orderingKey },
        orderingKey,
      }, clock.t)
    );
    clock.t += 1;
  };
  const worker = (options: Partial<DeliveryWorkerOptions> = {}) =>
    new DeliveryWorker({
      database,
      vault: temp.appliance.vault,
      now: () => clock.t,
      allowPrivateTargets: true,
      // Public, so failures read in full; nothing connects: every test injects `send`.
      resolve: () => Promise.resolve(["93.184.215.14"]),
      retryDelaysMs: [1_000, 1_000, 1_000],
      random: () => 0.5,
      timeoutMs: 10_000,
      log: () => {},
      ...options,
    });
  return { temp, database, app, endpointIds: ids, enqueue, worker };
}

function recorder(
  sent: Sent[],
  answer: (url: string) => number | Promise<number> = () => 204,
): WebhookSender {
  return async (request) => {
    const url = String(request.url);
    sent.push({ id: request.headers["webhook-id"], url });
    return await answer(url);
  };
}

async function rows(database: Database) {
  const result = await database.client.execute(
    "SELECT id, status, attempts, claimed_by, claimed_until FROM webhook_deliveries ORDER BY created_at, id",
  );
  return result.rows.map((r) => ({
    id: String(r.id),
    status: String(r.status),
    attempts: Number(r.attempts),
    claimedBy: r.claimed_by,
    claimedUntil: r.claimed_until,
  }));
}

Deno.test("delivery worker: options passed as undefined keep their defaults (no hot poll loop)", async () => {
  const clock = { t: Date.now() };
  const { temp, database, worker } = await setup(clock, []);
  try {
    let reads = 0;
    const w = worker({
      // The runtime passes unset options through as undefined.
      pollMs: undefined,
      timeoutMs: undefined,
      concurrency: undefined,
      now: () => {
        reads++;
        return clock.t;
      },
    });
    w.start();
    await new Promise((r) => setTimeout(r, 400));
    await w.stop();
    // One tick at start, the next one a pollMs (1 s) later; a poll of
    // `undefined` ms ran hundreds of ticks here.
    assert.ok(reads <= 2, `${reads} ticks in 400 ms`);
    assert.deepEqual(await rows(database), []);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: a claim made late in a slow batch still gets a full lease", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["http://hooks.test/a"]);
  try {
    await enqueue("lane-1");
    await enqueue("lane-2");
    const sentByB: Sent[] = [];
    const b = worker({ send: recorder(sentByB), owner: "b" });
    const sentByA: Sent[] = [];
    // Each send at A takes 25 s of the 30 s lease (3 × timeoutMs), one at a
    // time. While A sends the second row, B ticks: it must see that row as
    // claimed.
    const a = worker({
      owner: "a",
      concurrency: 1,
      send: recorder(sentByA, async () => {
        clock.t += 25_000;
        if (sentByA.length === 2) await b.tick();
        return 204;
      }),
    });
    assert.equal(await a.tick(), 2);
    assert.equal(sentByA.length, 2);
    assert.deepEqual(sentByB, [], "B sent a row A had claimed and was still sending");
    assert.deepEqual((await rows(database)).map((r) => [r.status, r.attempts]), [
      ["delivered", 1],
      ["delivered", 1],
    ]);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: a lane waiting on a retry does not hold up other lanes", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["http://hooks.test/a"]);
  try {
    // More rows behind the failing head than one batch holds.
    for (let i = 0; i < 5; i++) await enqueue("stuck");
    await enqueue("other");
    const sent: Sent[] = [];
    const w = worker({
      concurrency: 2,
      send: recorder(sent, () => sent.length === 1 ? 503 : 204),
    });
    assert.equal(await w.tick(), 2, "the stuck head fails, the other lane's head goes out");
    const stuckId = sent[0].id;
    const after = await rows(database);
    assert.equal(after.find((r) => r.id === stuckId)?.status, "pending");
    assert.equal(after.at(-1)?.status, "delivered", "the other lane was delivered");
    assert.equal(after.filter((r) => r.status === "pending").length, 5);
    // Nothing more before the retry is due; then the stuck lane drains in order.
    assert.equal(await w.tick(), 0);
    clock.t += 1_200;
    assert.equal(await w.tick(), 5);
    const final = await rows(database);
    assert.deepEqual(
      sent.slice(2).map((s) => s.id),
      final.slice(0, 5).map((r) => r.id),
      "the stuck lane in creation order, starting with the retried head",
    );
    assert.ok(final.every((r) => r.status === "delivered" && r.claimedBy === null));
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: a claim left by a killed process lapses; the retry keeps the webhook-id and the lane order", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["http://hooks.test/a"]);
  try {
    for (let i = 0; i < 3; i++) await enqueue("lane");
    const [head] = await rows(database);
    // What a process killed mid-send leaves behind: its claim on the head.
    const leaseEnd = clock.t + 30_000;
    await database.client.execute({
      sql: "UPDATE webhook_deliveries SET claimed_by = 'dead', claimed_until = ? WHERE id = ?",
      args: [leaseEnd, head.id],
    });
    const sent: Sent[] = [];
    const w = worker({ send: recorder(sent), owner: "new" });
    assert.equal(await w.tick(), 0, "the lane waits while the claim holds");
    clock.t = leaseEnd + 1;
    assert.equal(await w.tick(), 3);
    const final = await rows(database);
    assert.deepEqual(sent.map((s) => s.id), final.map((r) => r.id));
    assert.equal(sent[0].id, head.id, "same webhook-id as the interrupted attempt");
    assert.ok(final.every((r) => r.status === "delivered" && r.claimedBy === null));
    assert.equal(await w.queueDepth(), 0);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: a delivery that keeps failing is marked dead after the last try, then left alone", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["https://hooks.example/a"]);
  try {
    const sent: Sent[] = [];
    const w = worker({ send: recorder(sent, () => 500) });
    await enqueue("con_1");
    for (let i = 0; i < 10; i++) {
      await w.tick();
      clock.t += 1_500; // past each 1 s retry delay (± jitter)
    }
    const [row] = await rows(database);
    assert.equal(row.status, "dead");
    assert.equal(row.attempts, 4, "the first try and one per retry delay");
    assert.equal(sent.length, 4);
    assert.equal(new Set(sent.map((s) => s.id)).size, 1, "every try carries the same webhook-id");
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: after rotate-secret both secrets sign until the grace period ends", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker, endpointIds } = await setup(clock, [
    "https://hooks.example/a",
  ]);
  try {
    const { vault } = temp.appliance;
    const deps = { db: database.db, vault, now: () => clock.t };
    // setup() keeps no secret: one rotation (grace 0) gives a known one, the next the new one.
    const oldSecret = (await rotateEndpointSecret(deps, endpointIds[0], 0)).secret;
    const { secret: newSecret } = await rotateEndpointSecret(deps, endpointIds[0], 3_600_000);
    const received: { body: string; headers: Record<string, string> }[] = [];
    const capture: WebhookSender = (request) => {
      received.push({ body: request.body, headers: request.headers });
      return Promise.resolve(204);
    };
    const w = worker({ send: capture });
    await enqueue("con_1");
    await w.tick();
    const verify = (d: (typeof received)[number], secret: string) =>
      verifyWebhook(d.body, d.headers, secret, { now: () => clock.t });
    const during = received.at(-1)!;
    verify(during, oldSecret);
    verify(during, newSecret);
    clock.t += 3_600_001;
    await enqueue("con_1");
    await w.tick();
    const after = received.at(-1)!;
    assert.notEqual(after, during);
    verify(after, newSecret);
    assert.throws(() => verify(after, oldSecret), WebhookVerificationError);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: a target that now resolves to a private address is not contacted, and the app reads one sentence", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker, app } = await setup(clock, ["https://hooks.example/a"]);
  try {
    const sent: Sent[] = [];
    const logs: string[] = [];
    const w = worker({
      send: recorder(sent),
      allowPrivateTargets: false,
      // The name was public when the endpoint was added; its DNS changed since.
      resolve: () => Promise.resolve(["10.0.0.5"]),
      log: (line) => logs.push(line),
    });
    await enqueue("con_1");
    await w.tick();
    assert.deepEqual(sent, []);
    const [row] = await rows(database);
    assert.notEqual(row.status, "delivered");
    const [view] = await listDeliveries(database.db, app.id);
    assert.equal(view.lastError, TARGET_REFUSED_MESSAGE);
    assert.equal(view.lastStatus, null);
    assert.match(
      logs.join("\n"),
      /hooks\.example resolves to 10\.0\.0\.5/,
      "the operator sees why",
    );
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: failures at an allowed private target read the same whatever the receiver did", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker, app } = await setup(clock, ["http://billing.internal/"]);
  try {
    // A receiver that takes its time moves the clock, as a real one would.
    const slowly = (ms: number, then: () => Promise<number>) => () => {
      clock.t += ms;
      return then();
    };
    const outcomes: (() => Promise<number>)[] = [
      () => Promise.resolve(500),
      slowly(800, () => Promise.resolve(404)),
      () => Promise.reject(new Deno.errors.ConnectionRefused("Connection refused (os error 111)")),
      slowly(10_000, () => Promise.reject(new DOMException("receiver timed out", "TimeoutError"))),
      () => Promise.resolve(302),
    ];
    const logs: string[] = [];
    const seen = new Set<string>();
    const dueAfter = new Set<number>();
    for (const [i, outcome] of outcomes.entries()) {
      const w = worker({
        send: outcome,
        allowPrivateTargets: true,
        resolve: () => Promise.resolve(["10.0.0.5"]),
        retryDelaysMs: [1_000],
        log: (line) => logs.push(line),
      });
      await enqueue(`con_${i}`);
      const startedAt = clock.t;
      await w.tick();
      const [latest, ...earlier] = await listDeliveries(database.db, app.id);
      // Nor how long the attempt took: the retry is due a fixed delay after it began.
      dueAfter.add(latest.nextAttemptAt - startedAt);
      for (const d of [latest, ...earlier]) {
        assert.equal(d.lastStatus, null, "no status code of an internal service");
        assert.notEqual(d.status, "delivered");
        seen.add(String(d.lastError));
      }
    }
    assert.deepEqual([...seen], [PRIVATE_TARGET_FAILED]);
    assert.equal(dueAfter.size, 1, `retry times differ: ${[...dueAfter]}`);
    const log = logs.join("\n");
    for (const detail of ["500", "404", "Connection refused", "timed out", "302"]) {
      assert.ok(log.includes(detail), `the operator log keeps "${detail}"`);
    }
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: failures at a public target keep their reason for the app", async () => {
  const clock = { t: Date.now() };
  const { temp, enqueue, worker, app, database } = await setup(clock, ["https://hooks.example/a"]);
  try {
    const w = worker({ send: () => Promise.resolve(503) });
    await enqueue("con_1");
    await w.tick();
    const [view] = await listDeliveries(database.db, app.id);
    assert.equal(view.lastError, "receiver answered 503");
    assert.equal(view.lastStatus, 503);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("delivery worker: connects to the address it checked, resolving the name once", async () => {
  const clock = { t: Date.now() };
  const received: { host: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    received.push({ host: req.headers.get("host") });
    return new Response(null, { status: 204 });
  });
  const port = server.addr.port;
  const { temp, database, enqueue, worker } = await setup(clock, [
    `http://rebinding.example.test:${port}/hook`,
  ]);
  try {
    let lookups = 0;
    const w = worker({
      // The default sender (no fetch, no system resolver): the name exists only here.
      allowPrivateTargets: true,
      // A rebinding name: the first answer is what was checked; any later
      // answer (a second resolution at connect time) would point elsewhere.
      resolve: () => Promise.resolve(lookups++ === 0 ? ["127.0.0.1"] : ["192.0.2.1"]),
      timeoutMs: 5_000,
    });
    await enqueue("con_1");
    await w.tick();
    assert.equal(lookups, 1);
    assert.deepEqual(received, [{ host: `rebinding.example.test:${port}` }]);
    const [row] = await rows(database);
    assert.equal(row.status, "delivered");
  } finally {
    await server.shutdown();
    await temp.cleanup();
  }
});

/** Waits (bounded) until `done()` holds; answers whether it did. */
async function until(done: () => boolean, ms = 2_000): Promise<boolean> {
  for (let waited = 0; waited < ms && !done(); waited += 10) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return done();
}

/** A second app with one endpoint, and a way to queue its events. */
async function otherApp(database: Database, vault: DeliveryWorkerOptions["vault"], clock: {
  t: number;
}, url: string) {
  const app = await createApp(database.db, { name: "other", origins: [] }, {
    now: () => clock.t,
  });
  await addEndpoint({ db: database.db, vault, now: () => clock.t }, app.id, url, ["*"]);
  return async (orderingKey: string) => {
    await database.transaction((tx) =>
      enqueueEvent(tx, {
        appId: app.id,
        type: "connection.paused",
        data: { connectionId: orderingKey },
        orderingKey,
      }, clock.t)
    );
    clock.t += 1;
  };
}

/** A sender whose `hung` URLs never answer until released; the rest answer 204 at once. */
function hangingSender(hung: (url: string) => boolean) {
  const release = Promise.withResolvers<void>();
  const sent: Sent[] = [];
  let onWire = 0;
  const send: WebhookSender = async (request) => {
    const url = String(request.url);
    sent.push({ id: request.headers["webhook-id"], url });
    if (hung(url)) {
      onWire++;
      await release.promise;
      onWire--;
      return 504;
    }
    return 204;
  };
  return { send, sent, release: () => release.resolve(), onWire: () => onWire };
}

Deno.test("delivery worker: a receiver that hangs holds up only its own deliveries", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["https://hangs.example/a"]);
  const receivers = hangingSender((url) => url.includes("hangs.example"));
  let ticking: Promise<number> | null = null;
  try {
    // Five lanes to the hanging receiver, queued first; then another app's event.
    for (let i = 0; i < 5; i++) await enqueue(`con_${i}`);
    const enqueueOther = await otherApp(
      database,
      temp.appliance.vault,
      clock,
      "https://fine.example/b",
    );
    await enqueueOther("con_b");
    const w = worker({ send: receivers.send });
    ticking = w.tick();
    assert.ok(
      await until(() => receivers.sent.some((s) => s.url.includes("fine.example"))),
      "the other app's delivery waited behind the hanging receiver",
    );
    // At most perEndpoint (4) deliveries wait on the hanging receiver at once: all four get
    // there (they start together with the other app's, in no set order), never a fifth.
    assert.ok(await until(() => receivers.onWire() === 4), `${receivers.onWire()} on the wire`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(receivers.onWire(), 4);
  } finally {
    receivers.release();
    await ticking;
    await temp.cleanup();
  }
});

Deno.test("delivery worker: deliveries hanging at one app's receivers do not block later polls for others (caps per endpoint and app)", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, [
    "https://hangs.example/a",
    "https://hangs.example/b",
  ]);
  const receivers = hangingSender((url) => url.includes("hangs.example"));
  const w = worker({ send: receivers.send, pollMs: 20, perEndpoint: 2, perApp: 3 });
  try {
    for (let i = 0; i < 4; i++) await enqueue(`con_${i}`);
    w.start();
    // Two to one endpoint, one to the other: the app's cap is 3.
    assert.ok(await until(() => receivers.onWire() === 3), `${receivers.onWire()} on the wire`);
    const enqueueOther = await otherApp(
      database,
      temp.appliance.vault,
      clock,
      "https://fine.example/c",
    );
    for (let i = 0; i < 3; i++) await enqueueOther(`con_c${i}`);
    await enqueue("con_late");
    assert.ok(
      await until(() => receivers.sent.filter((s) => s.url.includes("fine.example")).length === 3),
      "a later poll did not deliver the other app's events",
    );
    assert.equal(receivers.onWire(), 3, "the hanging app stays within its cap");
    assert.equal(receivers.sent.filter((s) => s.url.includes("hangs.example")).length, 3);
  } finally {
    receivers.release();
    await w.stop();
    await temp.cleanup();
  }
});

Deno.test("delivery worker: the caps count the live claims of every process", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["https://hangs.example/a"]);
  const receivers = hangingSender((url) => url.includes("hangs.example"));
  const ticks: Promise<number>[] = [];
  try {
    for (let i = 0; i < 6; i++) await enqueue(`con_${i}`);
    const enqueueOther = await otherApp(
      database,
      temp.appliance.vault,
      clock,
      "https://fine.example/b",
    );
    await enqueueOther("con_b");
    ticks.push(worker({ send: receivers.send, owner: "first" }).tick());
    assert.ok(await until(() => receivers.onWire() === 4));
    // A second process: the endpoint already has 4 on the wire; the other app's event goes out.
    ticks.push(worker({ send: receivers.send, owner: "second" }).tick());
    assert.ok(await until(() => receivers.sent.some((s) => s.url.includes("fine.example"))));
    assert.equal(receivers.onWire(), 4, "the second process added to the hanging endpoint");
  } finally {
    receivers.release();
    await Promise.all(ticks);
    await temp.cleanup();
  }
});

Deno.test("delivery worker: lanes to one endpoint go out concurrently, each lane in order", async () => {
  const clock = { t: Date.now() };
  const { temp, database, enqueue, worker } = await setup(clock, ["https://hooks.example/a"]);
  try {
    for (let i = 0; i < 3; i++) {
      await enqueue("lane-1");
      await enqueue("lane-2");
    }
    let onWire = 0;
    let most = 0;
    const sent: Sent[] = [];
    const w = worker({
      send: async (request) => {
        sent.push({ id: request.headers["webhook-id"], url: String(request.url) });
        most = Math.max(most, ++onWire);
        // lane-1's receiver is the slower one.
        const ms = JSON.parse(request.body).data.connectionId === "lane-1" ? 30 : 5;
        await new Promise((r) => setTimeout(r, ms));
        onWire--;
        return 204;
      },
    });
    assert.equal(await w.tick(), 6);
    assert.equal(most, 2, "the two lanes were on the wire together");
    const created = await database.client.execute(
      "SELECT id, ordering_key FROM webhook_deliveries ORDER BY created_at, id",
    );
    for (const lane of ["lane-1", "lane-2"]) {
      const ids = created.rows.filter((r) => r.ordering_key === lane).map((r) => String(r.id));
      assert.deepEqual(sent.map((s) => s.id).filter((id) => ids.includes(id)), ids, lane);
    }
  } finally {
    await temp.cleanup();
  }
});
