import { and, asc, eq, isNull, lt, lte, notExists, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database, Db } from "../db/client.ts";
import { webhookDeliveries } from "../db/schema.ts";
import type { VaultStore } from "../vault/store.ts";
import { getEndpoint, signingSecrets } from "./endpoint_store.ts";
import { nextDelay } from "./retry_schedule.ts";
import { signatureHeader } from "./signature.ts";
import { checkWebhookTarget, type Resolver } from "./target_policy.ts";

export interface DeliveryWorkerOptions {
  database: Database;
  vault: VaultStore;
  fetch?: typeof fetch;
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
      fetch: globalThis.fetch,
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
    let status: number | null = null;
    let error: string | null = null;
    try {
      const endpoint = await getEndpoint(deps.db, d.endpointId);
      const url = await checkWebhookTarget(endpoint.url, {
        allowPrivate: this.#o.allowPrivateTargets,
        resolve: this.#o.resolve,
      });
      const timestamp = Math.floor(this.#o.now() / 1000);
      const secrets = await signingSecrets(deps, d.endpointId);
      const response = await this.#o.fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Securix-Webhooks/1",
          "webhook-id": d.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signatureHeader(secrets, d.id, timestamp, d.payload),
        },
        body: d.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(this.#o.timeoutMs),
      });
      await response.body?.cancel();
      status = response.status;
      if (status >= 200 && status < 300) {
        await this.#finish(d, {
          status: "delivered",
          deliveredAt: this.#o.now(),
          lastStatus: status,
        });
        this.#o.onDelivery?.("delivered");
        return true;
      }
      error = `receiver answered ${status}`;
    } catch (e) {
      error = (e as Error).name === "TimeoutError"
        ? "receiver timed out"
        : (e as Error).message.slice(0, 300);
    }
    const attempts = d.attempts + 1;
    const delay = nextDelay(attempts, this.#o.retryDelaysMs, this.#o.random);
    await this.#finish(
      d,
      delay === null
        ? { status: "dead", attempts, lastStatus: status, lastError: error }
        : { attempts, nextAttemptAt: this.#o.now() + delay, lastStatus: status, lastError: error },
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
