import {
  and,
  asc,
  eq,
  gte,
  isNull,
  lt,
  lte,
  notExists,
  notInArray,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database, Db } from "../db/client.ts";
import { webhookDeliveries } from "../db/schema.ts";
import type { VaultStore } from "../vault/store.ts";
import { getEndpoint, signingSecrets } from "./endpoint_store.ts";
import { nextDelay } from "./retry_schedule.ts";
import { signatureHeader } from "./signature.ts";
import { pinnedPost, type WebhookSender } from "./pinned_post.ts";
import {
  type CheckedTarget,
  checkWebhookTarget,
  type Resolver,
  TARGET_REFUSED_MESSAGE,
  TargetRefused,
} from "./target_policy.ts";

export interface DeliveryWorkerOptions {
  database: Database;
  vault: VaultStore;
  /** Sends one delivery to a checked target; default: pinnedPost. */
  send?: WebhookSender;
  now?: () => number;
  random?: () => number;
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  pollMs?: number;
  /** Deliveries this worker sends at once, to all endpoints together. */
  concurrency?: number;
  /** Deliveries in flight to one endpoint, counted over every process (live claims). */
  perEndpoint?: number;
  /** Deliveries in flight to one app's endpoints, counted over every process. */
  perApp?: number;
  allowPrivateTargets: boolean;
  resolve: Resolver;
  owner?: string;
  onDelivery?: (outcome: "delivered" | "retry" | "dead") => void;
  log?: (line: string) => void;
}

type Delivery = typeof webhookDeliveries.$inferSelect;

/** What an app reads of a failed delivery to a private address the operator allowed. */
export const PRIVATE_TARGET_FAILED =
  "delivery to a private address failed (the reason is in the operator log)";

const older = alias(webhookDeliveries, "older");

/**
 * True for the oldest pending row of its lane (endpoint + ordering key): only
 * a lane's head may be sent, so a lane goes out in order, and a lane waiting
 * on a retry never holds up the others.
 */
function isLaneHead(db: Db): SQL {
  return notExists(
    db.select({ one: sql`1` }).from(older).where(and(
      eq(older.endpointId, webhookDeliveries.endpointId),
      eq(older.orderingKey, webhookDeliveries.orderingKey),
      eq(older.status, "pending"),
      or(
        lt(older.createdAt, webhookDeliveries.createdAt),
        and(eq(older.createdAt, webhookDeliveries.createdAt), lt(older.id, webhookDeliveries.id)),
      ),
    )),
  );
}

/** An attempt on the wire: resolves true when the receiver took it. */
interface Started {
  id: string;
  attempt: Promise<boolean>;
}

/** Rounds one tick() may run while they keep starting new attempts. */
const MAX_ROUNDS_PER_TICK = 10;

/**
 * Sends due outbox rows. A row is claimed before it is sent, so processes
 * sharing the database never send the same attempt twice; a crash mid-send
 * leaves the claim to lapse (after 3 × timeoutMs) and the retry carries the
 * same webhook-id. Within one endpoint and ordering key (a lane), a row waits
 * until every older row is done; different lanes go out concurrently, at most
 * `perEndpoint` to one endpoint and `perApp` to one app's endpoints (live
 * claims of every process count), so a receiver that hangs holds up only its
 * own deliveries, and `concurrency` in all per worker.
 */
export class DeliveryWorker {
  readonly #o:
    & Required<Omit<DeliveryWorkerOptions, "onDelivery" | "retryDelaysMs">>
    & Pick<DeliveryWorkerOptions, "onDelivery" | "retryDelaysMs">;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** The background loop's current pass (start()). */
  #pass: Promise<void> | null = null;
  /** A pass was asked for while one ran: it runs again. */
  #again = false;
  #stopped = true;
  /** Set by stop(): no further attempt starts. */
  #halting = false;
  /** Attempts on the wire, by delivery id; ends when the row is written back. */
  readonly #inFlight = new Map<string, Promise<boolean>>();
  /** Serializes launches (background passes and tick()), so slots are counted once. */
  #launching: Promise<unknown> = Promise.resolve();

  constructor(options: DeliveryWorkerOptions) {
    // An option passed as `undefined` keeps its default (a spread would not).
    const given = Object.fromEntries(
      Object.entries(options).filter(([, v]) => v !== undefined),
    ) as DeliveryWorkerOptions;
    this.#o = {
      send: pinnedPost,
      now: Date.now,
      random: Math.random,
      timeoutMs: 10_000,
      pollMs: 1_000,
      concurrency: 64,
      perEndpoint: 4,
      perApp: 16,
      owner: crypto.randomUUID(),
      log: (line) => console.error(line),
      ...given,
    };
  }

  /**
   * Polls every pollMs, and again as soon as a delivery succeeds (the next
   * row of its lane is due). A pass starts attempts and does not wait for
   * them: a receiver that hangs never delays the next pass.
   */
  start(): void {
    this.#stopped = false;
    this.#halting = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halting = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#pass;
    await this.#launching;
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  /**
   * Sends every due delivery once and waits for those attempts; rounds go on
   * while they start new attempts (the next rows of lanes just delivered, and
   * heads past an endpoint's or app's cap). Returns how many were attempted.
   */
  async tick(): Promise<number> {
    const attempted = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS_PER_TICK && !this.#halting; round++) {
      const started = await this.#launch(attempted);
      if (started.length === 0) break;
      await Promise.all(started.map((s) => s.attempt));
      for (const s of started) attempted.add(s.id);
    }
    return attempted.size;
  }

  async queueDepth(): Promise<number> {
    const [row] = await this.#o.database.db.select({ n: sql<number>`count(*)` }).from(
      webhookDeliveries,
    )
      .where(eq(webhookDeliveries.status, "pending"));
    return Number(row.n);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#runPass();
    }, ms);
  }

  #runPass(): void {
    if (this.#pass) {
      this.#again = true;
      return;
    }
    this.#pass = (async () => {
      do {
        this.#again = false;
        try {
          const started = await this.#launch();
          for (const { attempt } of started) {
            // A success makes the lane's next row due: look again at once.
            attempt.then((delivered) => delivered && this.#schedule(0));
          }
        } catch (e) {
          this.#o.log(`webhooks: ${(e as Error).message}`);
        }
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#pass = null;
      if (this.#timer === null) this.#schedule(this.#o.pollMs);
    });
  }

  /** Claims due lane heads into the free slots and starts their attempts. */
  #launch(skip: ReadonlySet<string> = new Set()): Promise<Started[]> {
    const launched = this.#launching.then(() => this.#claimAndStart(skip));
    this.#launching = launched.catch(() => {});
    return launched;
  }

  async #claimAndStart(skip: ReadonlySet<string>): Promise<Started[]> {
    const free = this.#o.concurrency - this.#inFlight.size;
    if (free <= 0 || this.#halting) return [];
    const { db } = this.#o.database;
    const now = this.#o.now();
    // What is on the wire now, over every process: live claims.
    const busy = await db.select({
      endpointId: webhookDeliveries.endpointId,
      appId: webhookDeliveries.appId,
      n: sql<number>`count(*)`,
    }).from(webhookDeliveries).where(and(
      eq(webhookDeliveries.status, "pending"),
      gte(webhookDeliveries.claimedUntil, now),
    )).groupBy(webhookDeliveries.endpointId, webhookDeliveries.appId);
    const endpointBusy = new Map<string, number>();
    const appBusy = new Map<string, number>();
    let busyTotal = 0;
    for (const b of busy) {
      const n = Number(b.n);
      endpointBusy.set(b.endpointId, (endpointBusy.get(b.endpointId) ?? 0) + n);
      appBusy.set(b.appId, (appBusy.get(b.appId) ?? 0) + n);
      busyTotal += n;
    }
    const fullEndpoints = [...endpointBusy].filter(([, n]) => n >= this.#o.perEndpoint)
      .map(([id]) => id);
    const fullApps = [...appBusy].filter(([, n]) => n >= this.#o.perApp).map(([id]) => id);
    // Lane heads, at most perEndpoint of an endpoint and perApp of an app,
    // oldest first: an endpoint with a thousand due lanes cannot fill the
    // batch and starve the others.
    const d = webhookDeliveries;
    const heads = db.select({
      id: d.id,
      endpointId: d.endpointId,
      appId: d.appId,
      createdAt: d.createdAt,
      endpointRank: sql<
        number
      >`row_number() over (partition by ${d.endpointId} order by ${d.createdAt}, ${d.id})`
        .as("endpoint_rank"),
    }).from(d).where(and(
      eq(d.status, "pending"),
      lte(d.nextAttemptAt, now),
      or(isNull(d.claimedUntil), lt(d.claimedUntil, now)),
      fullEndpoints.length > 0 ? notInArray(d.endpointId, fullEndpoints) : undefined,
      fullApps.length > 0 ? notInArray(d.appId, fullApps) : undefined,
      skip.size > 0 ? notInArray(d.id, [...skip]) : undefined,
      isLaneHead(db),
    )).as("heads");
    const fair = db.select({
      id: heads.id,
      endpointId: heads.endpointId,
      appId: heads.appId,
      createdAt: heads.createdAt,
      appRank: sql<
        number
      >`row_number() over (partition by ${heads.appId} order by ${heads.createdAt}, ${heads.id})`
        .as("app_rank"),
    }).from(heads).where(lte(heads.endpointRank, this.#o.perEndpoint)).as("fair");
    // Endpoints and apps partly busy may take fewer than their rank allows:
    // read that many more, so the free slots still fill.
    const candidates = await db.select({
      id: fair.id,
      endpointId: fair.endpointId,
      appId: fair.appId,
    }).from(fair).where(lte(fair.appRank, this.#o.perApp))
      .orderBy(asc(fair.createdAt), asc(fair.id)).limit(free + 2 * busyTotal);
    const started: Started[] = [];
    for (const c of candidates) {
      if (this.#halting || started.length >= free) break;
      if (this.#inFlight.has(c.id)) continue;
      if ((endpointBusy.get(c.endpointId) ?? 0) >= this.#o.perEndpoint) continue;
      if ((appBusy.get(c.appId) ?? 0) >= this.#o.perApp) continue;
      const claimed = await this.#claim(c.id);
      if (!claimed) continue;
      endpointBusy.set(c.endpointId, (endpointBusy.get(c.endpointId) ?? 0) + 1);
      appBusy.set(c.appId, (appBusy.get(c.appId) ?? 0) + 1);
      const attempt = this.#attempt(claimed).catch((e) => {
        // The row keeps its claim, which lapses: the attempt is retried then.
        this.#o.log(`webhooks: delivery ${c.id}: ${(e as Error).message}`);
        return false;
      }).finally(() => this.#inFlight.delete(c.id));
      this.#inFlight.set(c.id, attempt);
      started.push({ id: c.id, attempt });
    }
    return started;
  }

  /**
   * Claims a lane head for one attempt, just before it is sent. The lease
   * starts now, not when the candidates were read.
   */
  async #claim(id: string): Promise<Delivery | null> {
    const { db } = this.#o.database;
    const now = this.#o.now();
    const [claimed] = await db.update(webhookDeliveries).set({
      claimedBy: this.#o.owner,
      claimedUntil: now + this.#o.timeoutMs * 3,
    }).where(and(
      eq(webhookDeliveries.id, id),
      eq(webhookDeliveries.status, "pending"),
      lte(webhookDeliveries.nextAttemptAt, now),
      or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, now)),
      isLaneHead(db),
    )).returning();
    return claimed ?? null;
  }

  async #attempt(d: Delivery): Promise<boolean> {
    const deps = { db: this.#o.database.db, vault: this.#o.vault, now: this.#o.now };
    const startedAt = this.#o.now();
    let target: CheckedTarget | null = null;
    let status: number | null = null;
    let reason: string;
    let refused = false;
    try {
      const endpoint = await getEndpoint(deps.db, d.endpointId);
      target = await checkWebhookTarget(endpoint.url, {
        allowPrivate: this.#o.allowPrivateTargets,
        resolve: this.#o.resolve,
      });
      const timestamp = Math.floor(this.#o.now() / 1000);
      const secrets = await signingSecrets(deps, d.endpointId);
      status = await this.#o.send({
        url: target.url,
        addresses: target.addresses,
        headers: {
          "content-type": "application/json",
          "user-agent": "Securix-Webhooks/1",
          "webhook-id": d.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signatureHeader(secrets, d.id, timestamp, d.payload),
        },
        body: d.payload,
        timeoutMs: this.#o.timeoutMs,
      });
      if (status >= 200 && status < 300) {
        await this.#finish(d, {
          status: "delivered",
          deliveredAt: this.#o.now(),
          lastStatus: target.isPublic ? status : null,
        });
        this.#o.onDelivery?.("delivered");
        return true;
      }
      reason = `receiver answered ${status}`;
    } catch (e) {
      refused = e instanceof TargetRefused;
      reason = e instanceof TargetRefused
        ? `refused: ${e.reason}`
        : (e as Error).name === "TimeoutError"
        ? "receiver timed out"
        : (e as Error).message.slice(0, 300);
    }
    // What the app reads of a failure that touched a non-public address is
    // one fixed sentence: a status code, "connection refused" or "timed out"
    // from an internal address would map the appliance's network. The
    // operator's log keeps the reason.
    let error = reason;
    // The retry time is readable too: counted from a private attempt's
    // start, it does not tell a timeout from a refusal either.
    let retryFrom = this.#o.now();
    if (refused || (target !== null && !target.isPublic)) {
      this.#o.log(`webhooks: delivery ${d.id} to endpoint ${d.endpointId}: ${reason}`);
      error = refused ? TARGET_REFUSED_MESSAGE : PRIVATE_TARGET_FAILED;
      status = null;
      retryFrom = startedAt;
    }
    const attempts = d.attempts + 1;
    const delay = nextDelay(attempts, this.#o.retryDelaysMs, this.#o.random);
    await this.#finish(
      d,
      delay === null
        ? { status: "dead", attempts, lastStatus: status, lastError: error }
        : { attempts, nextAttemptAt: retryFrom + delay, lastStatus: status, lastError: error },
    );
    this.#o.onDelivery?.(delay === null ? "dead" : "retry");
    return false;
  }

  async #finish(d: Delivery, patch: Partial<Delivery>): Promise<void> {
    await this.#o.database.db.update(webhookDeliveries).set({
      ...patch,
      attempts: patch.attempts ?? d.attempts + 1,
      claimedBy: null,
      claimedUntil: null,
    }).where(eq(webhookDeliveries.id, d.id));
  }
}
