import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { digestApiKey } from "../apps/api_key.ts";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { adminLoginLinks, adminSessions } from "../db/schema.ts";

/** A console session lasts 12 hours from sign-in, and ends after 30 minutes unused. */
export const SESSION_TTL_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 30 * 60_000;
export const ENROL_TTL_MS = 10 * 60_000;

export interface AdminSession {
  id: string;
  adminId: string;
  via: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/** A new session; the token goes into the cookie and only its SHA-256 into the database. */
export async function startAdminSession(
  db: Db,
  adminId: string,
  via: "password" | "link" | "enrol",
  now: number,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<{ session: AdminSession; token: string }> {
  const token = encodeBase64urlNoPadding(random(new Uint8Array(32)));
  const session = {
    id: newId("ads"),
    adminId,
    via,
    createdAt: now,
    // An enrolment session only reaches the enrolment page, and not for long.
    expiresAt: now + (via === "enrol" ? ENROL_TTL_MS : SESSION_TTL_MS),
    lastSeenAt: now,
  };
  await db.insert(adminSessions).values({ ...session, digest: digestApiKey(token) });
  return { session, token };
}

/** The live session a cookie names, its idle clock restarted; null when unknown or over. */
export async function resumeAdminSession(
  db: Db,
  token: string,
  now: number,
): Promise<AdminSession | null> {
  const [row] = await db.update(adminSessions).set({ lastSeenAt: now }).where(
    and(
      eq(adminSessions.digest, digestApiKey(token)),
      gt(adminSessions.expiresAt, now),
      gt(adminSessions.lastSeenAt, now - SESSION_IDLE_MS),
    ),
  ).returning();
  if (!row) return null;
  const { digest: _digest, ...session } = row;
  return session;
}

export async function endAdminSession(db: Db, token: string): Promise<void> {
  await db.delete(adminSessions).where(eq(adminSessions.digest, digestApiKey(token)));
}

/**
 * Signs an admin out everywhere (a lost laptop, a shared browser): every
 * session ends and every login link not yet used stops working. Returns how
 * many of each went.
 */
export async function endEveryAdminSession(
  tx: Tx,
  adminId: string,
): Promise<{ sessions: number; links: number }> {
  const sessions = await tx.delete(adminSessions).where(eq(adminSessions.adminId, adminId))
    .returning({ id: adminSessions.id });
  const links = await tx.delete(adminLoginLinks).where(
    and(eq(adminLoginLinks.adminId, adminId), isNull(adminLoginLinks.usedAt)),
  ).returning({ id: adminLoginLinks.id });
  return { sessions: sessions.length, links: links.length };
}

/** Drops ended sessions (housekeeping). */
export async function sweepAdminSessions(db: Db, now: number): Promise<void> {
  await db.delete(adminSessions).where(lt(adminSessions.expiresAt, now));
}
