/** A database URL as it may be printed: the query (where an authToken may ride) left out. */
export function shownDatabaseUrl(url: string): string {
  return url.replace(/[?#].*$/, "");
}
