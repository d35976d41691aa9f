import { terminalLines, terminalText } from "./terminal_text.ts";

/** Where CLI commands write; tests pass their own to capture output. */
export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: (name: string) => string | undefined;
  /** Names of the variables set (to warn about unknown SECURIX_* ones). */
  envNames?: () => string[];
  cwd: () => string;
}

export const processIo: CliIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  env: (name) => Deno.env.get(name),
  envNames: () => Object.keys(Deno.env.toObject()),
  cwd: () => Deno.cwd(),
};

/**
 * `io` with every line escaped for the terminal (see terminal_text.ts): what
 * the CLI prints never carries a raw control character, whatever it prints.
 */
export function terminalIo(io: CliIo): CliIo {
  return {
    ...io,
    out: (text) => io.out(terminalLines(text)),
    err: (text) => io.err(terminalLines(text)),
  };
}

/** Prints records as aligned columns, or as JSON for scripts; cells are escaped for the terminal. */
export function printTable(
  io: CliIo,
  rows: Record<string, unknown>[],
  columns: string[],
  empty: string,
): void {
  if (rows.length === 0) {
    io.out(empty);
    return;
  }
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  io.out(line(columns.map(columnHeader)));
  for (const row of cells) io.out(line(row));
}

/** A record key as a column header: `createdAt` → `CREATED_AT` (one word, still readable). */
export function columnHeader(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "-";
  if (Array.isArray(value)) return terminalText(value.join(",")) || "-";
  return terminalText(String(value));
}

export function printJson(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
