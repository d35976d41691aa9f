/** `20261202T080644Z`: sorts in time order and is safe in a file name everywhere. */
export function timeStamp(at: number): string {
  return new Date(at).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
}

/** Name of a backup `serve` takes on its schedule (the only ones pruned to `keep`). */
export function scheduledName(at: number): string {
  return `securix-${timeStamp(at)}.sxbak`;
}

export const SCHEDULED = /^securix-\d{8}T\d{6}Z(-\d+)?\.sxbak$/;

/** Name of the automatic backup taken before migrations move the database past `from`. */
export function preMigrateName(from: string, at: number): string {
  return `pre-migrate-${from}-${timeStamp(at)}.sxbak`;
}
