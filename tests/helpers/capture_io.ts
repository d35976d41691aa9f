import type { CliIo } from "../../src/cli/io.ts";

/** A CliIo that keeps what a command printed, for runCli in the same process. */
export function captureIo(env: Record<string, string> = {}): {
  io: CliIo;
  out: string[];
  err: string[];
} {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: (name) => env[name],
    envNames: () => Object.keys(env),
    cwd: () => Deno.cwd(),
  };
  return { io, out, err };
}
