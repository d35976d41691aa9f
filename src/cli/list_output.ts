import type { Command } from "commander";
import type { PagePosition } from "../connections/connection_store.ts";
import { decodeCursor, encodeCursor } from "../connections/page_cursor.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { type CliIo, printJson, printTable } from "./io.ts";

/** What a list command prints. */
export interface ListOutput {
  rows: Record<string, unknown>[];
  /** The table's columns, in order (keys of the rows). */
  columns: string[];
  /** The line printed instead of an empty table. */
  empty: string;
  /** What `--json` prints when it is not the rows themselves (e.g. the API's shape). */
  json?: unknown;
  /** A paged list's next page, if any: `what` names the records in the hint. */
  more?: { what: string; next: PagePosition | null };
}

/**
 * A list as aligned columns, or with `--json` as JSON for scripts; then, on
 * stderr so that stdout stays what a script reads, how to ask for the next
 * page when there is one.
 */
export function printList(io: CliIo, json: boolean | undefined, list: ListOutput): void {
  if (json) printJson(io, list.json ?? list.rows);
  else printTable(io, list.rows, list.columns, list.empty);
  const more = list.more;
  if (more?.next) io.err(`More ${more.what}: add --cursor ${encodeCursor(more.next)}`);
}

/** `--json`, `--limit` and `--cursor`: the options every paged list command takes. */
export function pagedListOptions(command: Command): Command {
  return command
    .option("--json", "print JSON")
    .option("--limit <n>", "at most this many (1–10000)", "100")
    .option("--cursor <cursor>", "continue after the last page (printed when there is more)");
}

/** `--limit`, refused unless a whole number 1–10000 (before the database is opened). */
export function pageLimit(raw: string): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new SecurixError("SX-INVALID-INPUT", "--limit: expected a whole number 1–10000", {
      status: 400,
    });
  }
  return limit;
}

/** `--cursor`: where the page starts; a cursor no listing returned is refused (SX-INVALID-INPUT). */
export function pageAfter(cursor: string | undefined): PagePosition | null {
  return cursor ? decodeCursor(cursor) : null;
}
