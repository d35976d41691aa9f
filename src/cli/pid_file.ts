import type { Config } from "../config/load.ts";
import { SecurixError } from "../errors/securix_error.ts";

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
  if (!Number.isSafeInteger(pid) || pid <= 1) {
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
  try {
    const raw = await Deno.readTextFile(`/proc/${pid}/cmdline`);
    return raw.split("\0").filter(Boolean).join(" ") || null;
  } catch {
    return null;
  }
}

/** A command line that can be `securix serve` (the binary, or `deno run … main.ts serve`). */
export function isServeCommand(command: string): boolean {
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
  const command = await processCommand(pid);
  if (command !== null) return isServeCommand(command) ? pid : null;
  if (await procMounted()) return null; // Linux: no /proc entry (or a zombie's empty one)
  try {
    Deno.kill(pid, "SIGCONT"); // changes nothing for a running process; fails for a gone one
    return pid;
  } catch (error) {
    return error instanceof Deno.errors.PermissionDenied ? pid : null;
  }
}

async function procMounted(): Promise<boolean> {
  try {
    await Deno.stat("/proc/self/cmdline");
    return true;
  } catch {
    return false;
  }
}
