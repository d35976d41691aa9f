/**
 * A database URL as it may be printed: the query (where an authToken may ride) and any
 * `user:password@` left out.
 */
export function shownDatabaseUrl(url: string): string {
  return url.replace(/[?#].*$/, "").replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

/**
 * A driver's message about that URL as it may be printed: wherever it repeats the token
 * (the URL quoted its own way, or the query alone), the value is cut out.
 */
export function withoutAuthToken(text: string): string {
  return text.replace(/(authToken=)[^&\s'"]*/gi, "$1…");
}
