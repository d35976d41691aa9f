import type { PagePosition } from "../connections/connection_store.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";

/**
 * The `cursor` of a list page's URL. A stale or edited one shows the first
 * page rather than an error page: it came from a link, not from a script.
 */
export function readCursor(value: string | undefined): PagePosition | null {
  try {
    return value ? decodeCursor(value) : null;
  } catch {
    return null;
  }
}

/** The next page's URL, with the filters the page was shown with; null on the last page. */
export function nextPageHref(
  path: string,
  filters: Record<string, string>,
  next: PagePosition | null,
): string | null {
  return next ? `${path}?${new URLSearchParams({ ...filters, cursor: encodeCursor(next) })}` : null;
}

/** A `?status=` filter: one of `statuses`, or "all"; anything else is the default. */
export function statusFilter(
  value: string | undefined,
  statuses: readonly string[],
  fallback: string,
): string {
  const wanted = value ?? fallback;
  return wanted === "all" || statuses.includes(wanted) ? wanted : fallback;
}
