import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { Actor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { webhookDeliveries, webhookEndpoints } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { VaultStore } from "../vault/store.ts";
import { EVENT_TYPES } from "./event_types.ts";
import { generateWebhookSecret } from "./signature.ts";

export const SECRET_PURPOSE = "webhook-secret";

export interface WebhookEndpoint {
  id: string;
  appId: string;
  url: string;
  events: string[];
  createdAt: number;
  rotatingUntil: number | null;
}

export const eventsInput = z.array(z.enum([...EVENT_TYPES, "*"])).min(1).default(["*"]);

type Row = typeof webhookEndpoints.$inferSelect;

function toEndpoint(row: Row): WebhookEndpoint {
  return {
    id: row.id,
    appId: row.appId,
    url: row.url,
    events: JSON.parse(row.events),
    createdAt: row.createdAt,
    rotatingUntil: row.previousSecretUntil,
  };
}

export interface EndpointDeps {
  db: Db;
  vault: VaultStore;
  now: () => number;
}

/**
 * Adds an endpoint; the signing secret is returned this once and kept in the
 * vault. With `by`, here and below, the audit record is written in the
 * transaction of the change.
 */
export async function addEndpoint(
  deps: EndpointDeps,
  appId: string,
  url: string,
  events: string[],
  by?: Actor,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const secret = generateWebhookSecret();
  const id = newId("whe");
  const secretId = newId("whs");
  await deps.vault.put(secretId, SECRET_PURPOSE, secret);
  const row: Row = {
    id,
    appId,
    url,
    events: JSON.stringify(events),
    secretId,
    previousSecretId: null,
    previousSecretUntil: null,
    createdAt: deps.now(),
  };
  const endpoint = toEndpoint(row);
  await deps.db.transaction(async (tx) => {
    await tx.insert(webhookEndpoints).values(row);
    if (by) {
      await recordAdminEvent(tx, {
        kind: "admin.webhook.added",
        by,
        appId,
        data: endpointAuditData(endpoint),
      }, deps.now());
    }
  }, { behavior: "immediate" });
  return { endpoint, secret };
}

/**
 * What the audit log keeps of an endpoint: its origin and events. The path
 * and query of a receiver's URL often carry a token, so they stay out.
 */
function endpointAuditData(e: WebhookEndpoint): Record<string, unknown> {
  return { endpointId: e.id, origin: new URL(e.url).origin, events: e.events };
}

export async function listEndpoints(db: Db, appId: string): Promise<WebhookEndpoint[]> {
  const rows = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.appId, appId));
  return rows.map(toEndpoint);
}

async function endpointRow(db: Db, id: string, appId: string | null): Promise<Row> {
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).limit(
    1,
  );
  if (!row || (appId !== null && row.appId !== appId)) {
    throw new SecurixError("SX-WEBHOOK-NOT-FOUND", `No webhook endpoint "${id}"`, { status: 404 });
  }
  return row;
}

export async function getEndpoint(
  db: Db,
  id: string,
  appId: string | null = null,
): Promise<WebhookEndpoint> {
  return toEndpoint(await endpointRow(db, id, appId));
}

export async function removeEndpoint(
  deps: EndpointDeps,
  id: string,
  appId: string | null = null,
  by?: Actor,
): Promise<WebhookEndpoint> {
  const row = await endpointRow(deps.db, id, appId);
  await deps.db.transaction(async (tx) => {
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    if (by) {
      await recordAdminEvent(tx, {
        kind: "admin.webhook.removed",
        by,
        appId: row.appId,
        data: { endpointId: id },
      }, deps.now());
    }
  }, { behavior: "immediate" });
  // The secrets go after the row: a failure here leaves an unused vault record, not a dead endpoint.
  await deps.vault.delete(row.secretId);
  if (row.previousSecretId) await deps.vault.delete(row.previousSecretId);
  return toEndpoint(row);
}

/**
 * New secret; the old one keeps signing beside it for `graceMs` so receivers
 * can switch without dropping a delivery. While an earlier rotation's secret
 * still signs, its promised end stands: only a rotation with grace 0 is
 * accepted then (the current secret is replaced at once, the earlier one
 * keeps signing until its end); any other answers SX-WEBHOOK-ROTATING.
 */
export async function rotateEndpointSecret(
  deps: EndpointDeps,
  id: string,
  graceMs: number,
  appId: string | null = null,
  by?: Actor,
): Promise<{
  endpoint: WebhookEndpoint;
  secret: string;
  /** When the secret this rotation replaced stops signing (now, with grace 0). */
  oldValidUntil: number;
  /** When the endpoint's older secret stops signing; null when only the new one signs. */
  rotatingUntil: number | null;
}> {
  const row = await endpointRow(deps.db, id, appId);
  const secret = generateWebhookSecret();
  const secretId = newId("whs");
  await deps.vault.put(secretId, SECRET_PURPOSE, secret);
  const now = deps.now();
  let oldValidUntil = now + graceMs;
  let rotatingUntil: number | null = graceMs > 0 ? oldValidUntil : null;
  /** The vault record that no longer signs once this commits. */
  let retired: string | null = null;
  try {
    await deps.db.transaction(async (tx) => {
      // Read again under the write lock: two rotations at once see each other.
      const [current] = await tx.select().from(webhookEndpoints).where(
        eq(webhookEndpoints.id, id),
      ).limit(1);
      if (!current) {
        throw new SecurixError("SX-WEBHOOK-NOT-FOUND", `No webhook endpoint "${id}"`, {
          status: 404,
        });
      }
      const earlierUntil = current.previousSecretId !== null &&
          (current.previousSecretUntil ?? 0) > now
        ? current.previousSecretUntil!
        : null;
      if (earlierUntil !== null) {
        if (graceMs > 0) throw rotating(id, earlierUntil);
        // Grace 0 during a rotation: the current secret goes now, the
        // earlier one keeps the end it was promised.
        await tx.update(webhookEndpoints).set({ secretId }).where(eq(webhookEndpoints.id, id));
        retired = current.secretId;
        oldValidUntil = now;
        rotatingUntil = earlierUntil;
      } else {
        await tx.update(webhookEndpoints).set({
          secretId,
          previousSecretId: current.secretId,
          previousSecretUntil: oldValidUntil,
        }).where(eq(webhookEndpoints.id, id));
        retired = current.previousSecretId;
      }
      if (by) {
        await recordAdminEvent(tx, {
          kind: "admin.webhook.secret_rotated",
          by,
          appId: row.appId,
          data: { endpointId: id, oldValidUntil, rotatingUntil },
        }, now);
      }
    }, { behavior: "immediate" });
  } catch (e) {
    await deps.vault.delete(secretId);
    throw e;
  }
  if (retired) await deps.vault.delete(retired);
  return { endpoint: toEndpoint(row), secret, oldValidUntil, rotatingUntil };
}

/** A rotation with a grace period while an earlier secret still signs. */
function rotating(id: string, until: number): SecurixError {
  const at = new Date(until).toISOString();
  return new SecurixError(
    "SX-WEBHOOK-ROTATING",
    `Webhook endpoint "${id}" is rotating: its previous secret signs until ${at}, as promised. ` +
      `Rotate again after that, or now with grace 0 (--grace-hours 0, graceHours: 0) to replace ` +
      `the current secret at once while the previous one keeps signing until ${at}.`,
    { status: 409, details: { rotatingUntil: at } },
  );
}

/** The secrets that sign right now: the current one, plus the previous during its grace. */
export async function signingSecrets(deps: EndpointDeps, endpointId: string): Promise<string[]> {
  const row = await endpointRow(deps.db, endpointId, null);
  const secrets: string[] = [];
  const current = await deps.vault.get(row.secretId, SECRET_PURPOSE);
  if (current) secrets.push(current.value);
  if (row.previousSecretId && (row.previousSecretUntil ?? 0) > deps.now()) {
    const previous = await deps.vault.get(row.previousSecretId, SECRET_PURPOSE);
    if (previous) secrets.push(previous.value);
  }
  return secrets;
}

/**
 * Removes every endpoint of an app and its undelivered events, inside the
 * caller's transaction (app deletion). Returns the endpoint ids and the vault
 * records of their secrets, which the caller deletes after commit.
 */
export async function removeAppEndpoints(
  tx: Tx,
  appId: string,
): Promise<{ endpointIds: string[]; secretIds: string[] }> {
  const rows = await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.appId, appId));
  const endpointIds = rows.map((r) => r.id);
  if (endpointIds.length > 0) {
    await tx.delete(webhookDeliveries).where(
      and(
        inArray(webhookDeliveries.endpointId, endpointIds),
        eq(webhookDeliveries.status, "pending"),
      ),
    );
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.appId, appId));
  }
  const secretIds = rows.flatMap((r) => [r.secretId, r.previousSecretId ?? []].flat());
  return { endpointIds, secretIds };
}
