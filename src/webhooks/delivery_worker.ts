import { and, asc, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
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

/**
 * Sends due outbox rows. A row is claimed before it is sent, so processes
 * sharing the database never send the same attempt twice; a crash mid-send
 * lets the claim lapse and the retry carries the same webhook-id. Within one
 * endpoint and ordering key, a row waits until every older row is done.
 */
export class DeliveryWorker {
  readonly #o:
    & Required<Omit<DeliveryWorkerOptions, "onDelivery" | "retryDelaysMs">>
    & Pick<DeliveryWorkerOptions, "onDelivery" | "retryDelaysMs">;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<number> | null = null;
  #stopped = true;

  constructor(options: DeliveryWorkerOptions) {
    this.#o = {
      fetch: globalThis.fetch,
      now: Date.now,
      random: Math.random,
      timeoutMs: 10_000,
      pollMs: 1_000,
      batchSize: 20,
      owner: crypto.randomUUID(),
      log: (line) => console.error(line),
      ...options,
    };
  }

  start(): void {
    this.#stopped = false;
    const loop = async () => {
      if (this.#stopped) return;
      await this.tick().catch((e) => this.#o.log(`webhooks: ${(e as Error).message}`));
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.pollMs);
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
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
    const { db } = this.#o.database;
    const now = this.#o.now();
    const due = await db.select().from(webhookDeliveries).where(and(
      eq(webhookDeliveries.status, "pending"),
      lte(webhookDeliveries.nextAttemptAt, now),
      or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, now)),
    )).orderBy(asc(webhookDeliveries.createdAt), asc(webhookDeliveries.id)).limit(
      this.#o.batchSize,
    );
    let attempted = 0;
    const blocked = new Set<string>();
    for (const delivery of due) {
      const lane = `${delivery.endpointId}\u0000${delivery.orderingKey}`;
      if (blocked.has(lane) || await this.#hasOlderPending(delivery)) {
        blocked.add(lane);
        continue;
      }
      if (!await this.#claim(delivery, now)) continue;
      const ok = await this.#attempt(delivery);
      if (!ok) blocked.add(lane);
      attempted++;
    }
    return attempted;
  }

  async #hasOlderPending(d: Delivery): Promise<boolean> {
    const rows = await this.#o.database.db.select({ id: webhookDeliveries.id }).from(
      webhookDeliveries,
    )
      .where(and(
        eq(webhookDeliveries.endpointId, d.endpointId),
        eq(webhookDeliveries.orderingKey, d.orderingKey),
        eq(webhookDeliveries.status, "pending"),
        or(
          lt(webhookDeliveries.createdAt, d.createdAt),
          and(eq(webhookDeliveries.createdAt, d.createdAt), lt(webhookDeliveries.id, d.id)),
        ),
      )).limit(1);
    return rows.length > 0;
  }

  async #claim(d: Delivery, now: number): Promise<boolean> {
    const result = await this.#o.database.db.update(webhookDeliveries).set({
      claimedBy: this.#o.owner,
      claimedUntil: now + this.#o.timeoutMs * 3,
    }).where(and(
      eq(webhookDeliveries.id, d.id),
      eq(webhookDeliveries.status, "pending"),
      or(isNull(webhookDeliveries.claimedUntil), lt(webhookDeliveries.claimedUntil, now)),
    ));
    return result.rowsAffected === 1;
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
