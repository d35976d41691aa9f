import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { eq } from "drizzle-orm";
import { and, gt, isNull } from "drizzle-orm";
import { digestApiKey } from "../apps/api_key.ts";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { portalLinks } from "../db/schema.ts";

/** A portal link opens a session once, within 10 minutes. */
export const PORTAL_LINK_TTL_MS = 10 * 60_000;

export interface PortalLinkInput {
  appId: string;
  entityId: string;
  returnUrl: string | null;
}

/** A new one-time link; the token goes into the URL and only its SHA-256 into the database. */
export async function createPortalLink(
  db: Db | Tx,
  input: PortalLinkInput,
  now: number,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<{ id: string; token: string; expiresAt: number }> {
  const token = encodeBase64urlNoPadding(random(new Uint8Array(32)));
  const id = newId("prl", random);
  const expiresAt = now + PORTAL_LINK_TTL_MS;
  await db.insert(portalLinks).values({
    id,
    digest: digestApiKey(token),
    ...input,
    createdAt: now,
    expiresAt,
  });
  return { id, token, expiresAt };
}

export type Redeemed =
  | { ok: true; appId: string; entityId: string; returnUrl: string | null }
  | { ok: false; reason: "unknown" | "used" | "expired" };

/**
 * What a link would open, without using it: the page a GET shows before the
 * user presses the button (link scanners and previews open links too).
 */
export async function peekPortalLink(db: Db, token: string, now: number): Promise<Redeemed> {
  const [row] = await db.select().from(portalLinks).where(
    eq(portalLinks.digest, digestApiKey(token)),
  ).limit(1);
  if (!row) return { ok: false, reason: "unknown" };
  if (row.usedAt !== null) return { ok: false, reason: "used" };
  if (row.expiresAt <= now) return { ok: false, reason: "expired" };
  return { ok: true, appId: row.appId, entityId: row.entityId, returnUrl: row.returnUrl };
}

/**
 * Uses a link: one conditional UPDATE, so two browsers racing on the same
 * link get one session between them.
 */
export async function redeemPortalLink(db: Db, token: string, now: number): Promise<Redeemed> {
  const digest = digestApiKey(token);
  const [row] = await db.update(portalLinks).set({ usedAt: now }).where(and(
    eq(portalLinks.digest, digest),
    isNull(portalLinks.usedAt),
    gt(portalLinks.expiresAt, now),
  )).returning();
  if (row) return { ok: true, appId: row.appId, entityId: row.entityId, returnUrl: row.returnUrl };
  const [known] = await db.select().from(portalLinks).where(eq(portalLinks.digest, digest))
    .limit(1);
  if (!known) return { ok: false, reason: "unknown" };
  return { ok: false, reason: known.usedAt !== null ? "used" : "expired" };
}
