import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { and, eq, gt, isNull } from "drizzle-orm";
import { digestApiKey } from "../apps/api_key.ts";
import type { Db } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { adminLoginLinks } from "../db/schema.ts";

export const LOGIN_LINK_TTL_MS = 10 * 60_000;

/** A one-time login link's secret; only its SHA-256 is stored. */
export async function createLoginLink(
  db: Db,
  adminId: string,
  now: number,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<{ token: string; expiresAt: number }> {
  const token = encodeBase64urlNoPadding(random(new Uint8Array(32)));
  const expiresAt = now + LOGIN_LINK_TTL_MS;
  await db.insert(adminLoginLinks).values({
    id: newId("lnk"),
    digest: digestApiKey(token),
    adminId,
    createdAt: now,
    expiresAt,
    usedAt: null,
  });
  return { token, expiresAt };
}

/**
 * Uses a link up: one conditional update, so of two requests racing with
 * the same link only one gets the admin id. Null when unknown, used or expired.
 */
export async function redeemLoginLink(db: Db, token: string, now: number): Promise<string | null> {
  const [row] = await db.update(adminLoginLinks).set({ usedAt: now }).where(
    and(
      eq(adminLoginLinks.digest, digestApiKey(token)),
      isNull(adminLoginLinks.usedAt),
      gt(adminLoginLinks.expiresAt, now),
    ),
  ).returning({ adminId: adminLoginLinks.adminId });
  return row?.adminId ?? null;
}
