import { libc } from "./libc.ts";

export interface NofileLimit {
  soft: number;
  hard: number;
}

/** Above this a "hard limit" is effectively unlimited; macOS also refuses soft limits past it. */
const CEILING = 1_048_576;

function toNumber(value: bigint): number {
  return value > BigInt(CEILING) ? CEILING : Number(value);
}

/** The process's open-file limit, or null where it cannot be read. */
export function readNofileLimit(): NofileLimit | null {
  const c = libc();
  if (c) {
    const buf = new BigUint64Array(2);
    if (c.symbols.getrlimit(c.RLIMIT_NOFILE, buf) === 0) {
      return { soft: toNumber(buf[0]), hard: toNumber(buf[1]) };
    }
  }
  return readProcLimits();
}

/** Linux without FFI: the same numbers from /proc (read permission permitting). */
function readProcLimits(): NofileLimit | null {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
    if (!m) return null;
    const n = (v: string) => (v === "unlimited" ? CEILING : Math.min(Number(v), CEILING));
    return { soft: n(m[1]), hard: n(m[2]) };
  } catch {
    return null;
  }
}

/**
 * Raises the soft open-file limit to the hard one, as nginx and most servers
 * do: the default soft limit (often 1024) is a relic of select(2) and far
 * below what one appliance process serves. Returns the limit in force
 * afterwards (unchanged when FFI is unavailable), or null if unknown.
 */
export function raiseNofileLimit(): { before: NofileLimit; after: NofileLimit } | null {
  const before = readNofileLimit();
  const c = libc();
  if (!before || !c || before.soft >= before.hard) return before && { before, after: before };
  const buf = new BigUint64Array([BigInt(before.hard), BigInt(before.hard)]);
  // The hard limit read back is kept as it was (setrlimit needs both).
  const current = new BigUint64Array(2);
  if (c.symbols.getrlimit(c.RLIMIT_NOFILE, current) === 0) buf[1] = current[1];
  if (c.symbols.setrlimit(c.RLIMIT_NOFILE, buf) !== 0) return { before, after: before };
  return { before, after: readNofileLimit() ?? before };
}
