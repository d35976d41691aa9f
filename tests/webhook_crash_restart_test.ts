/**
 * Crash safety of the webhook outbox, against the real process: `securix
 * serve` is killed with SIGKILL while a delivery is on the wire and many more
 * are pending, restarted on the same data directory, and must then deliver
 * every event; an event may arrive twice only with the same webhook-id (the
 * attempt the kill interrupted), each lane (endpoint + ordering key) in order.
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { loadConfig } from "../src/config/load.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { createDatabaseIn } from "./helpers/temp_appliance.ts";
import {
  freePort,
  runCliProcess,
  type ServerProcess,
  startServeProcess,
} from "./helpers/process.ts";

/** Events queued per app while the first process runs. */
const EVENTS_PER_APP = 12;
/** Events queued with the CLI while no appliance runs. */
const OFFLINE_EVENTS = 2;
/** Events queued per app after the restart, while the receiver is down. */
const LATE_EVENTS_PER_APP = 3;
/** Delivery timeout of the subprocess; a killed process's claim lapses after 3 × this. */
const TIMEOUT_MS = 3_000;

type Mode = "slow" | "hold" | "ok";

interface Receipt {
  path: string;
  id: string;
  body: string;
  headers: Record<string, string>;
  /** What the receiver answered; null for the request held open until the kill. */
  answer: number | null;
  at: number;
  /** Which appliance process sent it. */
  run: 1 | 2;
}

/**
 * The app's webhook receiver, in the test process on 127.0.0.1. `slow`
 * answers after a delay (and 503 to the first requests on /b, so a retry is
 * in the history), `hold` keeps the request open without an answer, `ok`
 * answers at once. It can be taken down and brought back on the same port.
 */
class Receiver {
  readonly receipts: Receipt[] = [];
  mode: Mode = "slow";
  run: 1 | 2 = 1;
  #server: Deno.HttpServer | null = null;
  #held: (() => void)[] = [];
  #refusals = 2;

  constructor(readonly port: number) {}

  up(): void {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: this.port, onListen() {} },
      (req) => this.#handle(req),
    );
  }

  async down(): Promise<void> {
    for (const release of this.#held.splice(0)) release();
    await this.#server?.shutdown();
    this.#server = null;
  }

  async #handle(req: Request): Promise<Response> {
    const receipt: Receipt = {
      path: new URL(req.url).pathname,
      id: req.headers.get("webhook-id") ?? "",
      body: await req.text(),
      headers: Object.fromEntries(req.headers),
      answer: null,
      at: Date.now(),
      run: this.run,
    };
    this.receipts.push(receipt);
    if (this.mode === "hold") {
      await new Promise<void>((resolve) => this.#held.push(resolve));
      return new Response(null, { status: 503 });
    }
    if (this.mode === "slow") {
      await new Promise((r) => setTimeout(r, 150));
      if (receipt.path === "/b" && this.#refusals > 0) {
        this.#refusals--;
        receipt.answer = 503;
        return new Response("busy", { status: 503 });
      }
    }
    receipt.answer = 204;
    return new Response(null, { status: 204 });
  }

  /** Receipts answered 2xx. */
  delivered(): Receipt[] {
    return this.receipts.filter((r) => r.answer !== null && r.answer < 300);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!await check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cli(dir: string, env: Record<string, string>, ...args: string[]) {
  const result = await runCliProcess(args, { cwd: dir, env });
  assert.equal(result.code, 0, `securix ${args.join(" ")}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

interface Row {
  id: string;
  appId: string;
  endpointId: string;
  orderingKey: string;
  status: string;
  attempts: number;
  claimedBy: unknown;
  claimedUntil: unknown;
}

Deno.test("webhooks: SIGKILL with deliveries pending and one on the wire; after restart every event arrives, duplicates only with the same webhook-id, lanes in order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-crash-" });
  const receiver = new Receiver(freePort());
  const env = {
    SECURIX_WEBHOOKS_ALLOW_PRIVATE_TARGETS: "true",
    SECURIX_WEBHOOKS_TIMEOUT_MS: String(TIMEOUT_MS),
    // Short retries, and enough of them to outlast the receiver's downtime.
    SECURIX_WEBHOOKS_RETRY_DELAYS_MS: [300, 300, 500, 500, ...Array(16).fill(1_000)].join(","),
  };
  let serve: ServerProcess | null = null;
  try {
    // Two apps, one endpoint each: one added with the CLI, one through the API.
    await createDatabaseIn(dir, env);
    const a = JSON.parse(await cli(dir, env, "apps", "create", "hooks-a", "--json"));
    const b = JSON.parse(await cli(dir, env, "apps", "create", "hooks-b", "--json"));
    const endpointA = JSON.parse(
      await cli(
        dir,
        env,
        "webhooks",
        "add",
        "hooks-a",
        `http://127.0.0.1:${receiver.port}/a`,
        "--json",
      ),
    );
    receiver.up();
    serve = await startServeProcess({ cwd: dir, env, timeoutMs: 30_000 });
    const api = (base: string, key: string, path: string, body?: unknown) =>
      fetch(`${base}/v1${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { "securix-api-key": key, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const added = await api(serve.baseUrl, b.apiKey.key, "/webhooks", {
      url: `http://127.0.0.1:${receiver.port}/b`,
      events: ["webhook.test"],
    });
    assert.equal(added.status, 201);
    const endpointB = await added.json();
    const secrets: Record<string, string> = { "/a": endpointA.secret, "/b": endpointB.secret };

    let queued = 0;
    const queue = async (base: string) => {
      for (const app of [a, b]) {
        const res = await api(base, app.apiKey.key, "/webhooks/test", {});
        assert.equal(res.status, 202);
        queued += (await res.json()).queued;
      }
    };
    for (let i = 0; i < EVENTS_PER_APP; i++) await queue(serve.baseUrl);
    assert.equal(queued, 2 * EVENTS_PER_APP);

    // Let some go out (slowly, /b refusing twice), then hold the next one open and kill.
    await until("6 deliveries", () => receiver.delivered().length >= 6, 30_000);
    receiver.mode = "hold";
    const heldAt = receiver.receipts.length;
    await until("a delivery on the wire", () => receiver.receipts.length > heldAt, 20_000);
    const held = receiver.receipts[heldAt];
    const killedAt = Date.now();
    assert.notEqual(await serve.stop("SIGKILL"), 0);
    serve = null;
    const beforeKill = receiver.delivered().length;

    // The appliance is down, so is the receiver; the CLI still queues events.
    await receiver.down();
    for (let i = 0; i < OFFLINE_EVENTS; i++) {
      assert.match(await cli(dir, env, "webhooks", "test", "hooks-a"), /Queued a test event/);
    }
    queued += OFFLINE_EVENTS;

    receiver.run = 2;
    serve = await startServeProcess({ cwd: dir, env, timeoutMs: 30_000 });
    const restartedAt = Date.now();
    for (let i = 0; i < LATE_EVENTS_PER_APP; i++) await queue(serve.baseUrl);
    // Attempts against a closed port fail and are retried.
    await new Promise((r) => setTimeout(r, 1_500));
    receiver.mode = "ok";
    receiver.up();
    const upAt = Date.now();

    const pendingOf = async (key: string) => {
      const res = await api(serve!.baseUrl, key, "/webhooks/deliveries");
      const { deliveries } = await res.json() as { deliveries: { status: string }[] };
      return deliveries.filter((d) => d.status !== "delivered").length;
    };
    await until(
      "every delivery marked delivered",
      async () => await pendingOf(a.apiKey.key) + await pendingOf(b.apiKey.key) === 0,
      60_000,
    );
    const drainedAt = Date.now();
    const heldAgain = receiver.receipts.find((r) => r.run === 2 && r.id === held.id);
    assert.equal(await serve.stop(), 0, "clean shutdown");
    serve = null;

    // The outbox as the appliance left it.
    const { config } = await loadConfig({ cwd: dir, env: (n) => env[n as keyof typeof env] });
    const appliance = await openAppliance(config);
    let rows: Row[];
    try {
      const result = await appliance.database.client.execute(
        `SELECT id, app_id, endpoint_id, ordering_key, status, attempts, claimed_by, claimed_until
         FROM webhook_deliveries ORDER BY created_at, id`,
      );
      rows = result.rows.map((r) => ({
        id: String(r.id),
        appId: String(r.app_id),
        endpointId: String(r.endpoint_id),
        orderingKey: String(r.ordering_key),
        status: String(r.status),
        attempts: Number(r.attempts),
        claimedBy: r.claimed_by,
        claimedUntil: r.claimed_until,
      }));
    } finally {
      appliance.close();
    }

    // No event lost: one row per queued event, each delivered, nothing left claimed.
    assert.equal(rows.length, queued);
    for (const row of rows) {
      assert.equal(row.status, "delivered", `${row.id} is ${row.status}`);
      assert.equal(row.claimedBy, null, `${row.id} still claimed`);
      assert.equal(row.claimedUntil, null, `${row.id} still leased`);
    }

    // Every receipt is signed for its endpoint (standardwebhooks checks the
    // timestamp against the real clock, which both processes use).
    for (const r of receiver.receipts) {
      new Webhook(secrets[r.path]).verify(r.body, r.headers);
    }

    // Each event answered 2xx exactly once and never sent after that; more
    // receipts only of the same webhook-id with the same body, and never more
    // answered ones than the attempts the outbox recorded.
    const byId = Map.groupBy(receiver.receipts, (r) => r.id);
    const rowIds = new Set(rows.map((r) => r.id));
    for (const id of byId.keys()) assert.ok(rowIds.has(id), `unknown webhook-id ${id}`);
    let afterRefusal = 0;
    for (const row of rows) {
      const got = byId.get(row.id) ?? [];
      assert.equal(got.filter((r) => r.answer === 204).length, 1, `${row.id} answered 2xx once`);
      assert.equal(got.at(-1)!.answer, 204, `${row.id} sent again after a 2xx`);
      for (const r of got) assert.equal(r.body, got[0].body, "a duplicate carries the same body");
      const answered = got.filter((r) => r.answer !== null).length;
      assert.ok(
        answered <= row.attempts,
        `${row.id}: ${answered} answers, ${row.attempts} attempts`,
      );
      afterRefusal += got.filter((r) => r.answer !== null && r.answer >= 300).length;
    }
    assert.ok(heldAgain, "the attempt the kill interrupted was sent again, same webhook-id");
    assert.equal(byId.get(held.id)!.filter((r) => r.answer === null).length, 1);

    // Per lane, first receipts follow creation order.
    const lanes = Map.groupBy(rows, (r) => `${r.endpointId}|${r.orderingKey}`);
    assert.equal(lanes.size, 2);
    for (const [lane, laneRows] of lanes) {
      const ids = new Set(laneRows.map((r) => r.id));
      const firstSeen = [
        ...new Set(receiver.receipts.filter((r) => ids.has(r.id)).map((r) => r.id)),
      ];
      assert.deepEqual(firstSeen, laneRows.map((r) => r.id), `lane ${lane} out of order`);
      const successes = receiver.delivered().filter((r) => ids.has(r.id)).map((r) => r.id);
      assert.deepEqual(successes, laneRows.map((r) => r.id), `lane ${lane} delivered out of order`);
    }
    const retried = rows.filter((r) => r.attempts > 1).length;
    console.log(
      `  ${rows.length} events (${
        queued - OFFLINE_EVENTS
      } via API, ${OFFLINE_EVENTS} via CLI offline), ` +
        `${beforeKill} delivered before SIGKILL, ${receiver.receipts.length - rows.length} ` +
        `repeat receipt(s), all same webhook-id (${afterRefusal} after a 503, 1 the attempt ` +
        `the kill interrupted), ` +
        `${retried} retried; restart healthy ${restartedAt - killedAt} ms after the kill; ` +
        `interrupted delivery resent ${heldAgain.at - killedAt} ms after the kill; ` +
        `all delivered ${drainedAt - upAt} ms after the receiver came back`,
    );
  } finally {
    await serve?.stop("SIGKILL");
    await receiver.down();
    await Deno.remove(dir, { recursive: true });
  }
});
