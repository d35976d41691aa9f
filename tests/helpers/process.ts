/** Helpers to run the CLI as a real subprocess, the way operators do. */

export const REPO = new URL("../../", import.meta.url).pathname;
export const MAIN = `${REPO}main.ts`;
export const DENO_JSON = `${REPO}deno.json`;

/** The permission flags of `deno task start`, so tests prove the task needs no -A. */
export async function startTaskFlags(): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(DENO_JSON)).tasks as Record<string, string>;
  return tasks.start.split(/\s+/).filter((part) => part.startsWith("--allow-"));
}

/**
 * The runtime flags `deno task compile` bakes into the binary (permissions and unstable
 * features), so a test runs the appliance with exactly what the shipped binary may do. Throws
 * on a flag of another kind (a new one must be classified here), so the two cannot drift.
 */
export async function compileTaskFlags(): Promise<{ runtime: string[]; includes: string[] }> {
  const tasks = JSON.parse(await Deno.readTextFile(DENO_JSON)).tasks as Record<string, string>;
  const words = tasks.compile.split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "compile") throw new Error(`not deno compile: ${words}`);
  const runtime: string[] = [];
  const includes: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const word = words[i];
    if (/^--(allow|deny)-[a-z-]+(=.*)?$/.test(word) || /^--unstable-[a-z-]+$/.test(word)) {
      runtime.push(word);
    } else if (word === "--include") includes.push(words[++i]);
    else if (word === "--output") i++;
    else if (word !== "main.ts" || i !== words.length - 1) {
      throw new Error(`deno task compile: ${word} is neither a runtime flag nor known here`);
    }
  }
  return { runtime, includes };
}

/**
 * A port free now, for a server a test starts a moment later. Chosen below
 * Linux's ephemeral range (32768–60999): a port the kernel hands out for
 * port 0 or for an outgoing connection could be taken again by the many
 * connections parallel tests open before the server binds it.
 */
export function freePort(): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCliProcess(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; stdin?: string },
): Promise<CliResult> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", DENO_JSON, MAIN, ...args],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await command.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

export interface ServerProcess {
  port: number;
  /** OS process id of the appliance (e.g. to read /proc/<pid>/status). */
  pid: number;
  baseUrl: string;
  output: () => string;
  stop: (signal?: Deno.Signal) => Promise<number>;
}

/** Whether the securix.toml in `dir` (if any) sets the console's listener itself. */
async function choosesAdminListen(dir: string): Promise<boolean> {
  try {
    return /^\s*admin_listen\s*=/m.test(await Deno.readTextFile(`${dir}/securix.toml`));
  } catch {
    return false;
  }
}

/** Starts `serve` as a subprocess and waits (bounded) until /healthz answers. */
export async function startServeProcess(options: {
  cwd: string;
  args?: string[];
  env?: Record<string, string>;
  flags?: string[];
  timeoutMs?: number;
  command?: string[];
  /** Listen on this port instead of a free one (e.g. one registered as a redirect URI). */
  port?: number;
}): Promise<ServerProcess> {
  const port = options.port ?? freePort();
  const flags = options.flags ?? ["--allow-all"];
  // The console's default port (8081) is one for the whole machine: a test that does
  // not choose one gets an ephemeral port, so parallel runs never take each other's.
  const adminListen: Record<string, string> = await choosesAdminListen(options.cwd)
    ? {}
    : { SECURIX_SERVER_ADMIN_LISTEN: "127.0.0.1:0" };
  const argv = options.command ??
    ["run", ...flags, "--config", DENO_JSON, MAIN, ...(options.args ?? []), "serve"];
  const child = new Deno.Command(options.command ? options.command[0] : Deno.execPath(), {
    args: options.command ? argv.slice(1) : argv,
    cwd: options.cwd,
    env: {
      NO_COLOR: "1",
      SECURIX_SERVER_LISTEN: `127.0.0.1:${port}`,
      SECURIX_SERVER_METRICS_LISTEN: "127.0.0.1:0",
      ...adminListen,
      ...options.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let exited: Deno.CommandStatus | null = null;
  child.status.then((s) => exited = s);
  while (Date.now() < deadline && !exited) {
    try {
      const res = await fetch(`${baseUrl}/healthz`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
    const status = await child.status;
    await collected;
    return status.code;
  };
  if (exited || Date.now() >= deadline) {
    await stop("SIGKILL");
    throw new Error(`appliance did not become healthy:\n${text}`);
  }
  return { port, pid: child.pid, baseUrl, output: () => text, stop };
}

/**
 * Waits (bounded) until a `serve` with `[server] workers = n` says all its
 * serving isolates are up; serve is healthy as soon as the main one listens.
 * Throws with the process's output when they do not start.
 */
export async function untilWorkers(
  server: ServerProcess,
  workers: number,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (workers > 1 && !server.output().includes(`Workers: ${workers} serving isolates`)) {
    if (Date.now() > deadline) {
      throw new Error(`the ${workers} serving isolates did not start:\n${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
