/**
 * The few libc calls Deno has no API for: the open-file limit (getrlimit /
 * setrlimit) and a non-consuming look at a socket's first bytes (recv with
 * MSG_PEEK, and poll for a hang-up behind unread bytes), and an account's
 * name through the system's user databases (getpwuid_r), and another
 * process's liveness, command line and signals (kill, open/read/close). Opened once, on
 * demand; null where FFI is not allowed (no --allow-ffi) or the platform is
 * neither Linux nor macOS, and callers then do without.
 */

const SYMBOLS = {
  getrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  setrlimit: { parameters: ["i32", "buffer"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  getpwuid_r: {
    parameters: ["u32", "buffer", "buffer", "usize", "buffer"],
    result: "i32",
  },
  // Another process, without --allow-run or --allow-all (which Deno.kill and a read of
  // /proc/<pid>/ need): is it there, what does it run, and a signal to it.
  kill: { parameters: ["i32", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer", optional: true },
  __error: { parameters: [], result: "pointer", optional: true },
} as const;

export interface Libc {
  symbols: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
  /** RLIMIT_NOFILE on this platform. */
  RLIMIT_NOFILE: number;
  /** MSG_PEEK | MSG_DONTWAIT on this platform. */
  PEEK_NOWAIT: number;
  /** poll(2) events that ask whether the peer hung up (POLLRDHUP where there is one). */
  POLL_HANGUP_EVENTS: number;
  /** poll(2) revents that mean the peer hung up or the socket failed. */
  POLL_HANGUP_REVENTS: number;
}

let opened: Libc | null | undefined;

export function libc(): Libc | null {
  if (opened !== undefined) return opened;
  opened = null;
  const os = Deno.build.os;
  if (os !== "linux" && os !== "darwin") return opened;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return opened;
    const path = os === "linux" ? "libc.so.6" : "libSystem.B.dylib";
    const lib = Deno.dlopen(path, SYMBOLS);
    opened = {
      symbols: lib.symbols,
      RLIMIT_NOFILE: os === "linux" ? 7 : 8,
      PEEK_NOWAIT: os === "linux" ? 0x2 | 0x40 : 0x2 | 0x80,
      POLL_HANGUP_EVENTS: os === "linux" ? 0x2000 : 0,
      POLL_HANGUP_REVENTS: (os === "linux" ? 0x2000 : 0) | 0x10 | 0x8,
    };
  } catch {
    // musl or an unusual libc path: the limit stays as inherited.
  }
  return opened;
}
