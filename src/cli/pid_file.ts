import type { Config } from "../config/load.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { libc } from "../http/libc.ts";
import { terminalText } from "./terminal_text.ts";
import { joinBytes } from "../proxy/join_bytes.ts";

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

/** The process id in the pid file; null when there is no pid file. */
export async function readPid(file: string): Promise<number | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new SecurixError("SX-PID-FILE", `${file} cannot be read: ${(error as Error).message}`, {
      status: 500,
    });
  }
  const pid = Number(text.trim());
  // 1 is a process id too: in a container the entrypoint (serve) is pid 1.
  if (!Number.isSafeInteger(pid) || pid < 1) {
    throw new SecurixError("SX-PID-FILE", `${file} does not hold a process id`, { status: 500 });
  }
  return pid;
}

/**
 * What the process runs, on Linux; null where /proc is not there or the
 * process is gone (the signal then tells). Guards against a stale pid file
 * whose pid the system gave to another program: SIGHUP ends most programs.
 */
export async function processCommand(pid: number): Promise<string | null> {
  let raw: string | null;
  try {
    raw = await Deno.readTextFile(`/proc/${pid}/cmdline`);
  } catch (error) {
    // Deno lets only --allow-all read /proc/<pid>/; the task and the binary have less.
    raw = error instanceof Deno.errors.NotCapable ? readWithLibc(`/proc/${pid}/cmdline`) : null;
  }
  return raw?.split("\0").filter(Boolean).join(" ") || null;
}

/** A small file's text read through libc, or null (no FFI, or it cannot be opened). */
function readWithLibc(path: string): string | null {
  const c = libc();
  if (!c) return null;
  const fd = c.symbols.open(new TextEncoder().encode(path + "\0"), 0 /* O_RDONLY */);
  if (fd < 0) return null;
  try {
    const chunks: Uint8Array[] = [];
    for (let total = 0; total < 1 << 16;) {
      const buffer = new Uint8Array(4096);
      const n = Number(c.symbols.read(fd, buffer, BigInt(buffer.length)));
      if (n <= 0) break;
      chunks.push(buffer.subarray(0, n));
      total += n;
    }
    return new TextDecoder().decode(joinBytes(chunks));
  } finally {
    c.symbols.close(fd);
  }
}

const SIGNAL_NUMBERS = { SIGHUP: 1 } as const;

/**
 * Deno.kill, or libc's kill where Deno.kill is not allowed: it needs --allow-run, which
 * `deno task securix` and the binary do not have (serve needs no subprocess). Throws
 * Deno.errors.NotFound for a process that is gone, PermissionDenied for another user's.
 */
export function signalProcess(pid: number, signal: keyof typeof SIGNAL_NUMBERS): void {
  try {
    Deno.kill(pid, signal);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    const c = libc();
    if (!c) throw error;
    if (c.symbols.kill(pid, SIGNAL_NUMBERS[signal]) === 0) return;
    const errno = lastErrno(c);
    if (errno === 1) throw new Deno.errors.PermissionDenied("Operation not permitted (os error 1)");
    throw new Deno.errors.NotFound(`No such process (os error ${errno ?? 3})`);
  }
}

/**
 * Whether `pid` exists, asked with signal 0 (checks, sends nothing: a stopped
 * job that now has a stale file's pid is not woken); null without libc.
 */
function processExists(pid: number): boolean | null {
  const c = libc();
  if (!c) return null;
  // EPERM: it exists, as another user's.
  return c.symbols.kill(pid, 0) === 0 || lastErrno(c) === 1;
}

function lastErrno(c: NonNullable<ReturnType<typeof libc>>): number | null {
  const at = (c.symbols.__errno_location ?? c.symbols.__error)?.() ?? null;
  return at === null ? null : new Deno.UnsafePointerView(at).getInt32();
}

/**
 * Why the pid file's pid cannot be a serve to signal, or null when it may be one. This
 * process: the file outlived a serve that had its pid (a container's pid 1, run again for a
 * restore). Pid 1 whose command line cannot be read: the host's init, never signalled blind.
 */
export function notServe(pid: number, command: string | null): string | null {
  if (pid === Deno.pid) return "this command itself";
  // Any process on the machine chooses its command line: printed escaped.
  if (command !== null) return isServeCommand(command) ? null : `"${terminalText(command)}"`;
  return pid === 1 ? "the init process (its command line cannot be read)" : null;
}

/** A command line that can be `securix serve` (the binary, or `deno run … main.ts serve`). */
function isServeCommand(command: string): boolean {
  return /securix|deno|serve/i.test(command);
}

/**
 * The pid of the `serve` running on this data directory, or null: no pid
 * file, or a stale one (serve did not stop cleanly: its process is gone, or
 * its pid now belongs to another program).
 */
export async function runningServe(file: string | null): Promise<number | null> {
  if (file === null) return null;
  const pid = await readPid(file);
  if (pid === null) return null;
  const command = pid === Deno.pid ? null : await processCommand(pid);
  if (command !== null || pid === Deno.pid) return notServe(pid, command) === null ? pid : null;
  if (await procMounted()) return null; // Linux: no /proc entry (or a zombie's empty one)
  // Not even libc to ask (no FFI): a serve may be running, so it is assumed to be.
  return processExists(pid) === false ? null : pid;
}

async function procMounted(): Promise<boolean> {
  try {
    await Deno.stat("/proc/self/cmdline");
    return true;
  } catch (error) {
    return error instanceof Deno.errors.NotCapable && readWithLibc("/proc/self/cmdline") !== null;
  }
}
