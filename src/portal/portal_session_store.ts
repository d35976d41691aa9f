import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { and, eq, gt, lt, or } from "drizzle-orm";
import { digestApiKey } from "../apps/api_key.ts";
import type { Db } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { portalLinks, portalSessions } from "../db/schema.ts";

/** A portal session lasts 4 hours from the link, and ends after 30 minutes unused. */
export const PORTAL_SESSION_TTL_MS = 4 * 3_600_000;
export const PORTAL_SESSION_IDLE_MS = 30 * 60_000;

export interface PortalSession {
  id: string;
  appId: string;
  entityId: string;
  returnUrl: string | null;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/** A new session for one entity of one app; only the token's SHA-256 is stored. */
export async function startPortalSession(
  db: Db,
  input: { appId: string; entityId: string; returnUrl: string | null },
  now: number,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<{ session: PortalSession; token: string }> {
  const token = encodeBase64urlNoPadding(random(new Uint8Array(32)));
  const session: PortalSession = {
    id: newId("prs", random),
    ...input,
    createdAt: now,
    expiresAt: now + PORTAL_SESSION_TTL_MS,
    lastSeenAt: now,
  };
  await db.insert(portalSessions).values({ ...session, digest: digestApiKey(token) });
  return { session, token };
}

/** The live session a cookie names, its idle clock restarted; null when unknown or over. */
export async function resumePortalSession(
  db: Db,
  token: string,
  now: number,
): Promise<PortalSession | null> {
  if (token === "") return null;
  const [row] = await db.update(portalSessions).set({ lastSeenAt: now }).where(and(
    eq(portalSessions.digest, digestApiKey(token)),
    gt(portalSessions.expiresAt, now),
    gt(portalSessions.lastSeenAt, now - PORTAL_SESSION_IDLE_MS),
  )).returning();
  if (!row) return null;
  const { digest: _digest, ...session } = row;
  return session;
}

/** The live session a cookie names, read only (its idle clock is not restarted); null when none. */
export async function findPortalSession(
  db: Db,
  token: string,
  now: number,
): Promise<PortalSession | null> {
  if (token === "") return null;
  const [row] = await db.select().from(portalSessions).where(and(
    eq(portalSessions.digest, digestApiKey(token)),
    gt(portalSessions.expiresAt, now),
    gt(portalSessions.lastSeenAt, now - PORTAL_SESSION_IDLE_MS),
  )).limit(1);
  if (!row) return null;
  const { digest: _digest, ...session } = row;
  return session;
}

export async function endPortalSession(db: Db, token: string): Promise<void> {
  await db.delete(portalSessions).where(eq(portalSessions.digest, digestApiKey(token)));
}

/** Drops ended sessions and links (housekeeping). */
export async function sweepPortal(db: Db, now: number): Promise<void> {
  await db.delete(portalSessions).where(or(
    lt(portalSessions.expiresAt, now),
    lt(portalSessions.lastSeenAt, now - PORTAL_SESSION_IDLE_MS),
  ));
  // Kept a day past expiry so a late click still says "used" or "expired", not "unknown".
  await db.delete(portalLinks).where(lt(portalLinks.expiresAt, now - 86_400_000));
}
