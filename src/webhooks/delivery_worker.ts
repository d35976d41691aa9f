import { and, asc, eq, isNull, lt, lte, notExists, or, type SQL, sql } from "drizzle-orm";
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
  batchSize?: number;
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

/** Rounds of `batchSize` heads one tick may run while deliveries keep succeeding. */
const MAX_ROUNDS_PER_TICK = 10;

/**
 * Sends due outbox rows. A row is claimed before it is sent, so processes
 * sharing the database never send the same attempt twice; a crash mid-send
 * leaves the claim to lapse (after 3 × timeoutMs) and the retry carries the
 * same webhook-id. Within one endpoint and ordering key, a row waits until
 * every older row is done.
 */
export class DeliveryWorker {
  readonly #o:
    & Required<Omit<DeliveryWorkerOptions, "onDelivery" | "retryDelaysMs">>
    & Pick<DeliveryWorkerOptions, "onDelivery" | "retryDelaysMs">;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<number> | null = null;
  #stopped = true;
  /** Set by stop(): a running tick starts no further attempt. */
  #halting = false;

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
      batchSize: 20,
      owner: crypto.randomUUID(),
      log: (line) => console.error(line),
      ...given,
    };
  }

  start(): void {
    this.#stopped = false;
    this.#halting = false;
    const loop = async () => {
      if (this.#stopped) return;
      await this.tick().catch((e) => this.#o.log(`webhooks: ${(e as Error).message}`));
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.pollMs);
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#halting = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running;
  }

  /** Sends every due delivery once; returns how many were attempted. */
  tick(): Promise<number> {
    this.#running = this.#tick().finally(() => this.#running = null);
    return this.#running;
  }

  async queueDepth(): Promise<number> {
    const [row] = await this.#o.database.db.select({ n: sql<number>`count(*)` }).from(
      webhookDeliveries,
    )
      .where(eq(webhookDeliveries.status, "pending"));
    return Number(row.n);
  }

  async #tick(): Promise<number> {
    let attempted = 0;
    for (let round = 0; round < MAX_ROUNDS_PER_TICK; round++) {
      const { attempts, delivered } = await this.#round();
      attempted += attempts;
      // Another round only while receivers answer: the next rows of the
      // lanes just delivered are heads now.
      if (delivered === 0 || this.#halting) break;
    }
    return attempted;
  }

  async #round(): Promise<{ attempts: number; delivered: number }> {
    const { db } = this.#o.database;
    const now = this.#o.now();
    const due = await db.select().from(webhookDeliveries).where(and(
      eq(webhookDeliveries.status, "pending"),
      lte(webhookDeliveries.nextAttemptAt, now),
      or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, now)),
      isLaneHead(db),
    )).orderBy(asc(webhookDeliveries.createdAt), asc(webhookDeliveries.id)).limit(
      this.#o.batchSize,
    );
    let attempts = 0;
    let delivered = 0;
    for (const delivery of due) {
      if (this.#halting) break;
      const claimed = await this.#claim(delivery);
      if (!claimed) continue;
      if (await this.#attempt(claimed)) delivered++;
      attempts++;
    }
    return { attempts, delivered };
  }

  /**
   * Claims a lane head for one attempt. The lease starts now, not when the
   * batch was read: a slow receiver earlier in the batch must not shorten it.
   */
  async #claim(d: Delivery): Promise<Delivery | null> {
    const { db } = this.#o.database;
    const now = this.#o.now();
    const [claimed] = await db.update(webhookDeliveries).set({
      claimedBy: this.#o.owner,
      claimedUntil: now + this.#o.timeoutMs * 3,
    }).where(and(
      eq(webhookDeliveries.id, d.id),
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
