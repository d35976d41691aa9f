/**
 * Which build this is. The release pipeline overwrites this file before
 * `deno compile` (commit hash and UTC build date); a source checkout says "dev".
 */
export const BUILD = {
  commit: "dev",
  date: "unknown",
} as const;
