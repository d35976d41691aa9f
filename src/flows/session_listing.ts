import { and, desc, eq, gt, inArray, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { authSessions } from "../db/schema.ts";
import type { PagePosition } from "../connections/connection_store.ts";
import type { AuthSession, SessionProvider, SessionStatus } from "./session_types.ts";

export const SESSION_STATUSES = [
  "pending",
  "awaiting_confirmation",
  "completed",
  "failed",
  "expired",
] as const satisfies readonly SessionStatus[];

export interface SessionFilter {
  appId?: string;
  entityId?: string;
  provider?: string;
  status?: SessionStatus;
  /** Only sessions created at or after this time (ms). */
  since?: number;
}

type Row = typeof authSessions.$inferSelect;
const OPEN = ["pending", "awaiting_confirmation"];
/** As createSessionInput accepts provider names. */
const PROVIDER_NAME = /^[a-z0-9_-]{1,64}$/;

/**
 * A session as an operator reads it. An open session past its expiry is
 * shown expired without writing it: listing is a read, and the next reader
 * that loads it (loadSession) records the expiry with its audit event.
 */
function toSession(row: Row, now: number): AuthSession {
  const lapsed = OPEN.includes(row.status) && row.expiresAt <= now;
  return {
    ...row,
    flow: row.flow as AuthSession["flow"],
    status: (lapsed ? "expired" : row.status) as SessionStatus,
    reason: lapsed ? "session_expired" : row.reason,
    providers: JSON.parse(row.providers) as Record<string, SessionProvider>,
  };
}

/** The status as shown, so `pending` excludes lapsed sessions and `expired` includes them. */
function statusCondition(status: SessionStatus, now: number): SQL {
  if (OPEN.includes(status)) {
    return and(eq(authSessions.status, status), gt(authSessions.expiresAt, now))!;
  }
  if (status !== "expired") return eq(authSessions.status, status);
  return or(
    eq(authSessions.status, "expired"),
    and(inArray(authSessions.status, OPEN), lte(authSessions.expiresAt, now)),
  )!;
}

function filterConditions(filter: SessionFilter, now: number): SQL[] {
  const conditions: SQL[] = [];
  if (filter.appId) conditions.push(eq(authSessions.appId, filter.appId));
  if (filter.entityId) conditions.push(eq(authSessions.entityId, filter.entityId));
  if (filter.provider) {
    // Only a name a session can hold goes into the JSON path; anything else matches nothing.
    const step = PROVIDER_NAME.test(filter.provider) ? `$."${filter.provider}"` : null;
    conditions.push(
      step ? sql`json_type(${authSessions.providers}, ${step}) IS NOT NULL` : sql`0`,
    );
  }
  if (filter.status) conditions.push(statusCondition(filter.status, now));
  if (filter.since !== undefined) {
    conditions.push(sql`${authSessions.createdAt} >= ${filter.since}`);
  }
  return conditions;
}

/**
 * One page of consent sessions, newest first: a keyset on (createdAt, id)
 * descending, as the operator debugging a failed consent wants the latest.
 * `next` is null on the last page.
 */
export async function listSessionsPage(
  db: Db,
  filter: SessionFilter,
  page: { limit: number; after?: PagePosition | null; now: number },
): Promise<{ sessions: AuthSession[]; next: PagePosition | null }> {
  const conditions = filterConditions(filter, page.now);
  const after = page.after;
  if (after) {
    conditions.push(
      or(
        lt(authSessions.createdAt, after.createdAt),
        and(eq(authSessions.createdAt, after.createdAt), lt(authSessions.id, after.id)),
      )!,
    );
  }
  const rows = await db.select().from(authSessions).where(and(...conditions))
    .orderBy(desc(authSessions.createdAt), desc(authSessions.id)).limit(page.limit + 1);
  const list = rows.slice(0, page.limit).map((r) => toSession(r, page.now));
  const last = list.at(-1);
  return {
    sessions: list,
    next: rows.length > page.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

/** One session as an operator reads it (see toSession); null when there is none. */
export async function readSession(db: Db, id: string, now: number): Promise<AuthSession | null> {
  const [row] = await db.select().from(authSessions).where(eq(authSessions.id, id)).limit(1);
  return row ? toSession(row, now) : null;
}
