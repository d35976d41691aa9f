import type { Config } from "../config/load.ts";

/**
 * Where `serve` writes its pid for `securix rules reload`: beside the
 * embedded database (the data directory is the appliance's own). None for a
 * database server: reload with `kill -HUP` or the service manager then.
 */
export function pidFile(config: Config): string | null {
  const file = config.database.filePath;
  if (file === null) return null;
  return `${file.slice(0, file.lastIndexOf("/")) || "/"}/securix.pid`;
}
